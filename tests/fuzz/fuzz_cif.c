/* fuzz_cif.c - libFuzzer entry point for the CIF reader (tsct_crystal_parse_cif) and what
 * consumes a crystal: the reflection list and a calculated powder pattern over a small Q
 * range. Built and run by tests/fuzz/run.sh. A parsed crystal must have a valid cell and
 * atoms inside the unit cell; reflections must lie in [qmin, qmax] with a positive
 * multiplicity and finite |F|^2; the pattern must be finite. Crystals with more reflections
 * than a quick run allows are left to the library's limit (TSCT_REFLECTIONS_MAX), which
 * must refuse them at once. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "tsct/crystal.h"
#include "tsct/powder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reflections(const tsct_crystal *c, double qmin, double qmax)
{
    tsct_reflection_params rp = TSCT_REFLECTION_PARAMS_DEFAULT;
    rp.qmin = qmin;
    rp.qmax = qmax;
    rp.keep_absent = 1;
    tsct_reflection_list *list = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_crystal_reflections_create(&list, c, &rp, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK)
        return;
    for (int64_t i = 0; i < list->count; i++) {
        const tsct_reflection *r = &list->items[i];
        if (!(r->q >= qmin * (1 - 1e-9) && r->q <= qmax * (1 + 1e-9)) ||
            r->multiplicity < 1 || !isfinite(r->f2) || (r->h == 0 && r->k == 0 && r->l == 0))
            __builtin_trap();
    }
    tsct_crystal_reflections_destroy(list);
}

static void check_pattern(const tsct_crystal *c)
{
    double q[48];
    for (int i = 0; i < 48; i++)
        q[i] = 1.0 + 0.05 * i;
    tsct_powder_params pp = TSCT_POWDER_PARAMS_DEFAULT;
    pp.wavelength = 0.2;
    pp.nbackground = 2;
    tsct_powder_plan *plan = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_powder_plan_create(&plan, c, q, 48, &pp, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK)
        return;
    double p[TSCT_POWDER_NPARAMS_BASE + 2], y[48];
    tsct_powder_plan_default_params(plan, p);
    p[TSCT_POWDER_P_W] = 1e-3;
    st = tsct_powder_evaluate(plan, p, y, NULL, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st == TSCT_OK)
        for (int i = 0; i < 48; i++)
            if (!isfinite(y[i]))
                __builtin_trap();
    tsct_powder_plan_destroy(plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsct_crystal *c = NULL;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_status st = tsct_crystal_parse_cif(&c, (const char *)data, size, &err);
    FUZZ_CHECK_MESSAGE(st, err);
    if (st != TSCT_OK) {
        if (c)
            __builtin_trap();   /* on error *out is NULL */
        return 0;
    }
    tsct_error cerr = TSCT_ERROR_INIT;
    if (tsct_crystal_cell_check(tsct_crystal_cell(c), &cerr) != TSCT_OK)
        __builtin_trap();
    const tsct_atom *atoms = tsct_crystal_atoms(c);
    for (int64_t i = 0; i < tsct_crystal_atom_count(c); i++)
        if (atoms[i].site < 0 || atoms[i].site >= tsct_crystal_site_count(c))
            __builtin_trap();
    /* hkl inside the 3 1/A sphere: V (3 / 2 pi)^3 4 pi / 3 ~ 0.46 V */
    double v = tsct_crystal_cell_volume(tsct_crystal_cell(c));
    double natoms = (double)tsct_crystal_atom_count(c);
    if (v * (natoms + 1) < 2e5) {
        check_reflections(c, 0.5, 3.0);
        check_pattern(c);
    } else if (v > 1e9) {
        check_reflections(c, 0.0, 3.0);   /* far over the limit: refused at once */
    }
    tsct_crystal_destroy(c);
    return 0;
}
