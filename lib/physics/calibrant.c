/* calibrant.c - d-spacings of powder calibrants (include/tsct/calibrant.h): the certified
 * cubic standards by their reflection conditions, pyFAI's .D files and CIFs.
 *
 * Certified lattice parameters (NIST Standard Reference Material certificates, the values
 * pyFAI 0.21's calibrant files use): SRM 674b (CeO2), SRM 660a, 660b, 660c (LaB6), SRM 640,
 * 640a, 640b, 640c, 640d, 640e (Si). Reflection conditions of the space groups (International
 * Tables A): Fm-3m (CeO2) hkl all even or all odd; Pm-3m (LaB6) none; Fd-3m (Si) all odd, or
 * all even with h + k + l = 4n.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tsct/calibrant.h"
#include "tsct/crystal.h"

enum lattice { LAT_P, LAT_F, LAT_DIAMOND };

static const struct standard {
    const char *name;
    double a;
    enum lattice lattice;
    const char *reference;
} standards[] = {
    {"CeO2", 5.411651, LAT_F, "NIST SRM 674b certificate, a = 5.411651 A"},
    {"LaB6", 4.156826, LAT_P, "NIST SRM 660c certificate, a = 4.156826 A"},
    {"LaB6_SRM660a", 4.1569162, LAT_P, "NIST SRM 660a certificate, a = 4.1569162 A"},
    {"LaB6_SRM660b", 4.15689, LAT_P, "NIST SRM 660b certificate, a = 4.15689 A"},
    {"LaB6_SRM660c", 4.156826, LAT_P, "NIST SRM 660c certificate, a = 4.156826 A"},
    {"Si", 5.4311946, LAT_DIAMOND, "NIST SRM 640c certificate, a = 5.4311946 A"},
    {"Si_SRM640", 5.43088, LAT_DIAMOND, "NIST SRM 640 certificate, a = 5.43088 A"},
    {"Si_SRM640a", 5.430825, LAT_DIAMOND, "NIST SRM 640a certificate, a = 5.430825 A"},
    {"Si_SRM640b", 5.4309403, LAT_DIAMOND, "NIST SRM 640b certificate, a = 5.4309403 A"},
    {"Si_SRM640c", 5.4311946, LAT_DIAMOND, "NIST SRM 640c certificate, a = 5.4311946 A"},
    {"Si_SRM640d", 5.43123, LAT_DIAMOND, "NIST SRM 640d certificate, a = 5.431230 A"},
    {"Si_SRM640e", 5.431179, LAT_DIAMOND, "NIST SRM 640e certificate, a = 5.431179 A"},
};
#define NSTANDARDS ((int)(sizeof standards / sizeof standards[0]))

double tsct_calibrant_tth(double d, double lambda)
{
    const double x = lambda / (2 * d);
    return x >= 0 && x <= 1 ? 2 * asin(x) : NAN;
}

void tsct_calibrant_destroy(tsct_calibrant *cal)
{
    if (!cal)
        return;
    free(cal->rings);
    free(cal);
}

static int cmp_ring(const void *a, const void *b)
{
    const tsct_calibrant_ring *x = a, *y = b;
    return x->d > y->d ? -1 : x->d < y->d ? 1 : 0;
}

/* Sort by decreasing d and merge rings closer than 1e-6 relative (summing multiplicities). */
static void sort_merge(tsct_calibrant *cal)
{
    qsort(cal->rings, (size_t)cal->count, sizeof *cal->rings, cmp_ring);
    int64_t k = 0;
    for (int64_t i = 0; i < cal->count; i++) {
        if (k > 0 && cal->rings[k - 1].d - cal->rings[i].d <= 1e-6 * cal->rings[i].d) {
            cal->rings[k - 1].multiplicity += cal->rings[i].multiplicity;
            continue;
        }
        cal->rings[k++] = cal->rings[i];
    }
    cal->count = k;
}

static tsct_status calibrant_alloc(tsct_calibrant **out, const char *name, int64_t cap,
                                   tsct_error *err)
{
    tsct_calibrant *c = calloc(1, sizeof *c);
    if (c)
        c->rings = malloc((size_t)(cap > 0 ? cap : 1) * sizeof *c->rings);
    if (!c || !c->rings) {
        tsct_calibrant_destroy(c);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, name, -1, "%lld rings",
                              (long long)cap);
    }
    snprintf(c->name, sizeof c->name, "%s", name);
    *out = c;
    return TSCT_OK;
}

static int allowed(enum lattice lat, int h, int k, int l)
{
    const int odd = (h & 1) + (k & 1) + (l & 1);
    switch (lat) {
    case LAT_P: return 1;
    case LAT_F: return odd == 0 || odd == 3;
    case LAT_DIAMOND: return odd == 3 || (odd == 0 && (h + k + l) % 4 == 0);
    }
    return 0;
}

static tsct_status cubic(const struct standard *s, double a, double dmin, tsct_calibrant **out,
                         tsct_error *err)
{
    if (!(isfinite(a) && a > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, s->name, -1,
                              "lattice parameter %g A: expected a positive number", a);
    if (!(isfinite(dmin) && dmin > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "dmin", -1,
                              "%g A: a built-in calibrant needs a positive smallest d-spacing",
                              dmin);
    const double nmax = a / dmin;
    if (nmax > 200)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "dmin", -1,
                              "%g A is below a / 200 = %g A", dmin, a / 200);
    const int hmax = (int)floor(nmax);
    /* h >= k >= l >= 0: one representative per class of the cubic Laue group m-3m. */
    int64_t cap = (int64_t)(hmax + 1) * (hmax + 1) * (hmax + 1);
    TSCT_TRY(calibrant_alloc(out, s->name, cap, err));
    tsct_calibrant *c = *out;
    snprintf(c->reference, sizeof c->reference, "%s", s->reference);
    if (a != s->a)
        snprintf(c->reference, sizeof c->reference, "%s structure, a = %.7g A", s->name, a);
    c->a = a;
    for (int h = 1; h <= hmax; h++)
        for (int k = 0; k <= h; k++)
            for (int l = 0; l <= k; l++) {
                const double d = a / sqrt((double)(h * h + k * k + l * l));
                if (d < dmin || !allowed(s->lattice, h, k, l))
                    continue;
                /* multiplicity of {hkl} in m-3m: 48 / (stabiliser order) */
                const int z = (k == 0) + (l == 0);
                const int eq = (h == k) + (k == l);
                int64_t mult = 48;
                if (z == 2) mult = 6;                       /* h00 */
                else if (z == 1 && h == k) mult = 12;       /* hh0 */
                else if (z == 1) mult = 24;                 /* hk0 */
                else if (eq == 2) mult = 8;                 /* hhh */
                else if (eq == 1) mult = 24;                /* hhl, hll */
                c->rings[c->count++] = (tsct_calibrant_ring){d, h, k, l, mult};
            }
    sort_merge(c);
    return TSCT_OK;
}

tsct_status tsct_calibrant_create_cubic(const char *name, double a, double dmin,
                                        tsct_calibrant **out, tsct_error *err)
{
    *out = NULL;
    for (int i = 0; i < NSTANDARDS; i++)
        if (name && strcasecmp(name, standards[i].name) == 0)
            return cubic(&standards[i], a, dmin, out, err);
    return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "calibrant", -1,
                          "\"%s\" is not a built-in cubic standard (CeO2, LaB6, Si, "
                          "LaB6_SRM660a..c, Si_SRM640, Si_SRM640a..e)",
                          name ? name : "");
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* pyFAI's calibrant file: the first number of every line that is not a comment. */
static tsct_status read_dfile(const char *path, double dmin, tsct_calibrant **out,
                              tsct_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return tsct_error_set(err, errno == ENOENT ? TSCT_ERR_NOT_FOUND : TSCT_ERR_IO, path,
                              NULL, -1, "cannot open the calibrant file: %s", strerror(errno));
    int64_t cap = 64;
    tsct_status st = calibrant_alloc(out, base_name(path), cap, err);
    tsct_calibrant *c = *out;
    char line[1024];
    int64_t lineno = 0;
    while (st == TSCT_OK && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '#' || *s == '\0')
            continue;
        char *end;
        double d = strtod(s, &end);
        if (end == s || !(isfinite(d) && d > 0) ||
            !(*end == '\0' || *end == '#' || isspace((unsigned char)*end))) {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, path, "line", lineno,
                                "expected a positive d-spacing in Angstrom, found \"%.40s\"", s);
            break;
        }
        if (d < dmin)
            continue;
        if (c->count == cap) {
            tsct_calibrant_ring *r = realloc(c->rings, (size_t)cap * 2 * sizeof *r);
            if (!r) {
                st = tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "%lld rings",
                                    (long long)cap * 2);
                break;
            }
            c->rings = r;
            cap *= 2;
        }
        c->rings[c->count++] = (tsct_calibrant_ring){d, 0, 0, 0, 0};
    }
    fclose(f);
    if (st == TSCT_OK && c->count == 0)
        st = tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1,
                            "no d-spacing%s in the calibrant file", dmin > 0 ? " above dmin" : "");
    if (st != TSCT_OK) {
        tsct_calibrant_destroy(c);
        *out = NULL;
        return st;
    }
    snprintf(c->reference, sizeof c->reference, "pyFAI calibrant file %s", base_name(path));
    sort_merge(c);
    return TSCT_OK;
}

static tsct_status read_cif(const char *path, double dmin, tsct_calibrant **out,
                            tsct_error *err)
{
    tsct_crystal *x = NULL;
    TSCT_TRY(tsct_crystal_read_cif(&x, path, err));
    tsct_reflection_params rp = TSCT_REFLECTION_PARAMS_DEFAULT;
    rp.qmax = dmin > 0 ? 2 * M_PI / dmin : 2 * M_PI / 0.5;
    tsct_reflection_list *list = NULL;
    tsct_status st = tsct_crystal_reflections_create(&list, x, &rp, err);
    if (st == TSCT_OK)
        st = calibrant_alloc(out, base_name(path), list->count, err);
    if (st == TSCT_OK) {
        tsct_calibrant *c = *out;
        const tsct_cell *cell = tsct_crystal_cell(x);
        snprintf(c->reference, sizeof c->reference, "CIF %s, a = %.6g A", base_name(path),
                 cell->a);
        for (int64_t i = 0; i < list->count; i++) {
            const tsct_reflection *r = &list->items[i];
            if (!r->absent)
                c->rings[c->count++] =
                    (tsct_calibrant_ring){r->d, r->h, r->k, r->l, r->multiplicity};
        }
        sort_merge(c);
        if (c->count == 0) {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1,
                                "the structure has no reflection with d >= %g A", dmin);
            tsct_calibrant_destroy(c);
            *out = NULL;
        }
    }
    tsct_crystal_reflections_destroy(list);
    tsct_crystal_destroy(x);
    return st;
}

tsct_status tsct_calibrant_create(const char *spec, double dmin, tsct_calibrant **out,
                                  tsct_error *err)
{
    *out = NULL;
    if (!(isfinite(dmin) && dmin >= 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "dmin", -1,
                              "%g A: expected a finite value >= 0", dmin);
    if (!spec || !*spec)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "calibrant", -1,
                              "no calibrant given");
    for (int i = 0; i < NSTANDARDS; i++)
        if (strcasecmp(spec, standards[i].name) == 0)
            return cubic(&standards[i], standards[i].a, dmin, out, err);
    if (has_suffix(spec, ".cif"))
        return read_cif(spec, dmin, out, err);
    FILE *f = fopen(spec, "r");
    if (!f)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "calibrant", -1,
                              "\"%s\" is neither a built-in calibrant (CeO2, LaB6, Si, "
                              "LaB6_SRM660a..c, Si_SRM640, Si_SRM640a..e) nor a readable .D or "
                              ".cif file",
                              spec);
    fclose(f);
    return read_dfile(spec, dmin, out, err);
}
