/* unmix_components.c - the component patterns of `tsct map --unmix`, variants included.
 *
 * Each component is a source text: cif:FILE:SIZE_NM[:OPTION]..., nano:FILE:RADIUS_NM,
 * broad:NAME or xy:FILE. Calculated patterns come from the simulator's material code
 * (tsct_sim_materials), so a component is exactly what the simulator would render for that
 * material with that size, lattice scale 1.
 *
 * A crystalline phase in an operando experiment does not keep the pattern of its CIF: its
 * lattice swells with the lithium it takes up (LiBi's by 0.8 % in the demo) and its
 * crystallites grow cycle by cycle. A fixed pattern then misfits: a peak shifted by a
 * fraction of its width leaves a derivative-shaped residual that the fit hands to whichever
 * other component correlates with it, and the phase's own weight falls. The options
 *
 *   strain=PCT or strain=LO,HI   lattice scales from 1 + LO/100 to 1 + HI/100 (PCT: +-PCT)
 *   grow=F                       crystallite sizes from SIZE_NM to F x SIZE_NM
 *
 * make the component a group of variants on a grid over that range; the fit combines them
 * non-negatively, and two patterns whose peaks are a fraction of a width apart combine into a
 * peak anywhere between them (the same holds for widths), so the group follows the phase
 * within the range without a non-linear refinement per voxel. The grid is as coarse as that
 * allows: the fewest points with the normalised overlap (cosine) of neighbouring variants at
 * least 0.95, which for Gaussian peaks is a shift of a fifth of the full width at half
 * maximum (cos = exp(-d^2 / (4 s^2))), with the CIF's own lattice on the grid. A combination
 * of two neighbours is a little broader and lower than the peak between them, and the least
 * squares make up for it with a little more weight: 1.2 % at the worst (midway) with this
 * spacing, 3.7 % with neighbours overlapping 0.85 (measured in tests/test_unmix.py on LiBi
 * swollen by 0.4-0.5 %). Narrow peaks and wide ranges need more variants; the fit takes 64
 * columns in all.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/pattern.h"
#include "tsct/simulate.h"

/* Neighbouring variants overlap at least this much (cosine of the two patterns). */
#define VARIANT_OVERLAP 0.95
#define MAX_COLUMNS 64

struct parsed {
    char kind[8], file[TSCT_UNMIX_SOURCE_MAX];
    double size, lat_lo, lat_hi, grow;
};

static tsct_status parse_source(const char *name, const char *source, struct parsed *p,
                                tsct_error *err)
{
    memset(p, 0, sizeof *p);
    p->lat_lo = p->lat_hi = 1.0;
    p->grow = 1.0;
    char buf[TSCT_UNMIX_SOURCE_MAX];
    if (strlen(source) >= sizeof buf)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1, "unmix source too long");
    snprintf(buf, sizeof buf, "%s", source);
    char *kind = buf, *file = strchr(kind, ':'), *rest = NULL;
    if (file) {
        *file++ = '\0';
        rest = strchr(file, ':');
        if (rest)
            *rest++ = '\0';
    }
    const int crystal = strcmp(kind, "cif") == 0, nano = strcmp(kind, "nano") == 0;
    if (!file || !*file || ((crystal || nano) && !rest) ||
        (!crystal && !nano && strcmp(kind, "broad") != 0 && strcmp(kind, "xy") != 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                              "unmix source '%s': expected cif:FILE:SIZE_NM[:strain=PCT]"
                              "[:grow=F], nano:FILE:RADIUS_NM, broad:NAME or xy:FILE", source);
    snprintf(p->kind, sizeof p->kind, "%.7s", kind); /* one of the four words */
    snprintf(p->file, sizeof p->file, "%s", file);
    if (!crystal && !nano) {
        if (rest) /* xy:FILE with a colon in the file name */
            snprintf(p->file, sizeof p->file, "%s:%s", file, rest);
        return TSCT_OK;
    }
    char *opt = strchr(rest, ':');
    if (opt)
        *opt++ = '\0';
    char *end = NULL;
    p->size = strtod(rest, &end);
    if (*end || !(p->size > 0) || !isfinite(p->size))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                              "unmix source '%s': the size must be nm > 0", source);
    while (opt && *opt) {
        char *next = strchr(opt, ':');
        if (next)
            *next++ = '\0';
        if (!crystal)
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                                  "unmix source '%s': options (strain=, grow=) are for cif "
                                  "components", source);
        if (strncmp(opt, "strain=", 7) == 0) {
            double lo = strtod(opt + 7, &end), hi;
            if (end == opt + 7)
                lo = NAN;
            if (*end == ',') {
                char *e2;
                hi = strtod(end + 1, &e2);
                end = e2;
            } else {
                hi = fabs(lo);
                lo = -fabs(lo);
            }
            if (*end || !isfinite(lo) || !isfinite(hi) || !(hi > lo) || lo <= -50 || hi >= 50)
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                                      "unmix source '%s': strain=PCT or strain=LO,HI expects "
                                      "percentages, LO < HI, within +-50", source);
            p->lat_lo = 1 + lo / 100;
            p->lat_hi = 1 + hi / 100;
        } else if (strncmp(opt, "grow=", 5) == 0) {
            p->grow = strtod(opt + 5, &end);
            if (end == opt + 5 || *end || !(p->grow > 0) || p->grow == 1 || p->grow > 100)
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                                      "unmix source '%s': grow=F expects a size factor > 0, "
                                      "not 1, up to 100", source);
        } else {
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                                  "unmix source '%s': unknown option '%s' (strain=PCT, "
                                  "strain=LO,HI, grow=F)", source, opt);
        }
        opt = next;
    }
    return TSCT_OK;
}

static double cosine(const float *a, const float *b, int64_t n)
{
    double ab = 0, aa = 0, bb = 0;
    for (int64_t i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 1.0;
}

/* The fewest grid points v[0] = lo .. v[n - 1] = hi (linear, or geometric) at which
 * neighbouring patterns overlap VARIANT_OVERLAP or more; n <= nmax, else TSCT_ERR_VALUE. */
static tsct_status grid(const tsct_sim_materials *sm, int mi, int lattice_axis, double lo,
                        double hi, int nmax, const char *name, int64_t nq, float *work,
                        double *v, int *n, tsct_error *err)
{
    if (lo == hi) {
        v[0] = lo;
        *n = 1;
        return TSCT_OK;
    }
    for (int k = 2; k <= nmax; k++) {
        double worst = 1;
        for (int i = 0; i < k; i++) {
            const double f = (double)i / (double)(k - 1);
            v[i] = lattice_axis ? lo + (hi - lo) * f : lo * pow(hi / lo, f);
            float *cur = work + (i % 2) * nq, *prev = work + ((i + 1) % 2) * nq;
            TSCT_TRY(tsct_sim_materials_pattern(sm, mi, lattice_axis ? v[i] : 1.0,
                                                lattice_axis ? 1.0 : v[i], cur, err));
            if (i > 0) {
                double c = cosine(prev, cur, nq);
                worst = c < worst ? c : worst;
            }
        }
        if (worst >= VARIANT_OVERLAP) {
            *n = k;
            if (lattice_axis && lo < 1 && hi > 1) {
                /* The same spacing at most, with the CIF's own lattice a node: a phase that
                 * does not strain is fitted by its exact pattern. */
                const double step = (hi - lo) / (double)(k - 1);
                const int below = (int)ceil((1 - lo) / step - 1e-9),
                          above = (int)ceil((hi - 1) / step - 1e-9);
                if (below + above + 1 > nmax)
                    break;
                for (int i = 0; i <= below; i++)
                    v[i] = lo + (1 - lo) * (double)i / below;
                for (int i = 1; i <= above; i++)
                    v[below + i] = 1 + (hi - 1) * (double)i / above;
                *n = below + above + 1;
            }
            return TSCT_OK;
        }
    }
    return tsct_error_set(err, TSCT_ERR_VALUE, NULL, name, -1,
                          "the %s range needs more than %d variants to follow the peaks "
                          "(neighbours overlapping %.2f): narrow it",
                          lattice_axis ? "strain" : "grow", nmax, VARIANT_OVERLAP);
}

tsct_status tsct_cli_unmix_components(const char *const *names, const char *const *sources,
                                      int k, const double *q, int64_t nq, double wavelength,
                                      const char *data_dirs, int reserved, float **cols_out,
                                      int **group_out, int *ncols_out,
                                      char (*describe)[TSCT_UNMIX_DESCRIBE_MAX], tsct_error *err)
{
    *cols_out = NULL;
    *group_out = NULL;
    *ncols_out = 0;
    const int cap = MAX_COLUMNS - reserved;
    if (k < 1 || cap < k)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "unmix", -1,
                              "%d components: the fit takes 1 to %d columns", k, cap);
    struct parsed *p = calloc((size_t)k, sizeof *p);
    tsct_sim_material mat[TSCT_SIM_MAX_COMPONENTS];
    int material_of[MAX_COLUMNS], nmat = 0;
    float *cols = malloc((size_t)cap * (size_t)nq * sizeof *cols);
    float *work = malloc(2 * (size_t)nq * sizeof *work);
    int *group = malloc((size_t)cap * sizeof *group);
    tsct_sim_materials *sm = NULL;
    tsct_status st = p && cols && work && group
                         ? TSCT_OK
                         : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "unmix", -1, "components");
    int needs_wl = 0;
    for (int j = 0; st == TSCT_OK && j < k; j++) {
        st = parse_source(names[j], sources[j], &p[j], err);
        material_of[j] = -1;
        if (st != TSCT_OK || strcmp(p[j].kind, "xy") == 0)
            continue;
        if (nmat == TSCT_SIM_MAX_COMPONENTS) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, names[j], -1,
                                "at most %d calculated components", TSCT_SIM_MAX_COMPONENTS);
            break;
        }
        const int crystal = strcmp(p[j].kind, "cif") == 0, nano = strcmp(p[j].kind, "nano") == 0;
        tsct_sim_material mm = {names[j], crystal ? TSCT_SIM_CRYSTAL
                                                  : nano ? TSCT_SIM_NANO : TSCT_SIM_BROAD,
                                p[j].file, p[j].size, 1.0, 0.0};
        needs_wl |= crystal || nano;
        mat[nmat] = mm;
        material_of[j] = nmat++;
    }
    if (st == TSCT_OK && needs_wl && !(wavelength > 0))
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "/entry/geometry", -1,
                            "no wavelength for the calculated components: give --wavelength");
    if (st == TSCT_OK && nmat > 0)
        st = tsct_sim_materials_create(mat, nmat, data_dirs ? data_dirs
                                                            : tsct_sim_default_data_dirs(),
                                       wavelength > 0 ? wavelength : 1.0, q, nq, &sm, err);
    int ncols = 0;
    for (int j = 0; st == TSCT_OK && j < k; j++) {
        const int left = cap - ncols - (k - 1 - j); /* one column at least for the rest */
        if (describe)
            describe[j][0] = '\0';
        if (material_of[j] < 0) { /* xy: a measured reference */
            double *px = NULL, *py = NULL, *v = malloc((size_t)nq * sizeof *v);
            int64_t pn = 0;
            st = v ? tsct_pattern_read_text(p[j].file, &px, &py, &pn, err)
                   : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "unmix", -1, "pattern");
            if (st == TSCT_OK) {
                tsct_pattern_interp(px, py, pn, q, nq, v); /* NaN outside: 0 */
                for (int64_t t = 0; t < nq; t++)
                    cols[(int64_t)ncols * nq + t] = isfinite(v[t]) ? (float)v[t] : 0.0f;
                group[ncols++] = j;
            }
            free(px);
            free(py);
            free(v);
            continue;
        }
        double lat[MAX_COLUMNS], size[MAX_COLUMNS];
        int nl = 1, ns = 1;
        st = grid(sm, material_of[j], 1, p[j].lat_lo, p[j].lat_hi, left, names[j], nq, work, lat,
                  &nl, err);
        if (st == TSCT_OK)
            st = grid(sm, material_of[j], 0, p[j].grow < 1 ? p[j].grow : 1.0,
                      p[j].grow > 1 ? p[j].grow : 1.0, left / nl, names[j], nq, work, size, &ns,
                      err);
        if (st == TSCT_OK && nl * ns > left)
            st = tsct_error_set(err, TSCT_ERR_VALUE, NULL, names[j], -1,
                                "%d strain x %d size variants: the fit takes %d columns in "
                                "all; narrow the ranges", nl, ns, MAX_COLUMNS);
        for (int a = 0; st == TSCT_OK && a < nl; a++)
            for (int b = 0; st == TSCT_OK && b < ns; b++) {
                st = tsct_sim_materials_pattern(sm, material_of[j], lat[a], size[b],
                                                cols + (int64_t)ncols * nq, err);
                group[ncols++] = j;
            }
        if (st == TSCT_OK && describe && nl * ns > 1) {
            char a[64] = "", b[64] = "";
            if (nl > 1)
                snprintf(a, sizeof a, "lattice scale %.4g..%.4g in %d steps", lat[0],
                         lat[nl - 1], nl);
            if (ns > 1)
                snprintf(b, sizeof b, "size %.4g..%.4g nm in %d", p[j].size * size[0],
                         p[j].size * size[ns - 1], ns);
            snprintf(describe[j], TSCT_UNMIX_DESCRIBE_MAX, " as %d variants (%s%s%s)", nl * ns, a,
                     nl > 1 && ns > 1 ? ", " : "", b);
        }
    }
    tsct_sim_materials_destroy(sm);
    free(p);
    free(work);
    if (st != TSCT_OK) {
        free(cols);
        free(group);
        return st;
    }
    *cols_out = cols;
    *group_out = group;
    *ncols_out = ncols;
    return TSCT_OK;
}
