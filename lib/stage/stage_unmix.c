/* stage_unmix.c - the component patterns of the map stage's unmixing, variants included.
 *
 * Each component is a source text: cif:FILE:SIZE_NM[:OPTION]..., nano:FILE:RADIUS_NM,
 * broad:NAME or xy:FILE. Calculated patterns come from the phase model of lib/physics
 * (tsct/phase.h), the one the simulator renders with, so a component is exactly what the
 * simulator would render for that material with that size, lattice scale 1. The options
 *
 *   strain=PCT or strain=LO,HI   lattice scales from 1 + LO/100 to 1 + HI/100 (PCT: +-PCT)
 *   grow=F                       crystallite sizes from SIZE_NM to F x SIZE_NM
 *
 * make the component a group of variants on a grid over that range
 * (tsct_maps_unmix_variants in lib/maps, which says how the grid is chosen).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/maps.h"
#include "tsct/pattern.h"
#include "tsct/phase.h"

#define MAX_COLUMNS TSCT_MAPS_UNMIX_MAX_COLUMNS

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

tsct_status tsct__stage_unmix_components(const char *const *names, const char *const *sources,
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
    tsct_phase_desc mat[MAX_COLUMNS];
    int material_of[MAX_COLUMNS], nmat = 0;
    float *cols = malloc((size_t)cap * (size_t)nq * sizeof *cols);
    int *group = malloc((size_t)cap * sizeof *group);
    tsct_phase_model *sm = NULL;
    tsct_status st = p && cols && group
                         ? TSCT_OK
                         : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "unmix", -1, "components");
    int needs_wl = 0;
    for (int j = 0; st == TSCT_OK && j < k; j++) {
        st = parse_source(names[j], sources[j], &p[j], err);
        material_of[j] = -1;
        if (st != TSCT_OK || strcmp(p[j].kind, "xy") == 0)
            continue;
        const int crystal = strcmp(p[j].kind, "cif") == 0, nano = strcmp(p[j].kind, "nano") == 0;
        tsct_phase_desc mm = {names[j], crystal ? TSCT_PHASE_CRYSTAL
                                                : nano ? TSCT_PHASE_NANO : TSCT_PHASE_BROAD,
                              p[j].file, p[j].size, 1.0};
        needs_wl |= crystal || nano;
        mat[nmat] = mm;
        material_of[j] = nmat++;
    }
    if (st == TSCT_OK && needs_wl && !(wavelength > 0))
        st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "/entry/geometry", -1,
                            "no wavelength for the calculated components: give --wavelength");
    if (st == TSCT_OK && nmat > 0) {
        tsct_phase_model_params mp = TSCT_PHASE_MODEL_PARAMS_DEFAULT;
        mp.wavelength = wavelength > 0 ? wavelength : 1.0; /* broad only: none needed */
        mp.data_dirs = data_dirs;
        st = tsct_phase_model_create(mat, nmat, q, nq, &mp, &sm, err);
    }
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
        const tsct_maps_variant_range range = {p[j].lat_lo, p[j].lat_hi,
                                               p[j].grow < 1 ? p[j].grow : 1.0,
                                               p[j].grow > 1 ? p[j].grow : 1.0};
        tsct_maps_variants v;
        st = tsct_maps_unmix_variants(sm, material_of[j], &range, left,
                                      cols + (int64_t)ncols * nq, &v, err);
        const int nl = v.nlattice, ns = v.nsize;
        const double *lat = v.lattice, *size = v.size;
        for (int c = 0; st == TSCT_OK && c < nl * ns; c++)
            group[ncols++] = j;
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
    tsct_phase_model_destroy(sm);
    free(p);
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
