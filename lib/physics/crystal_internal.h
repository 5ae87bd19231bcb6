/* crystal_internal.h - the crystal object shared by crystal.c, cif.c and reflections.c. */
#ifndef TSCT_CRYSTAL_INTERNAL_H
#define TSCT_CRYSTAL_INTERNAL_H

#include "tsct/crystal.h"

#define TSCT__LAUE_MAX 48

struct tsct_crystal {
    tsct_cell cell;
    char spacegroup[64];
    double g[3][3];                  /* direct metric, Angstrom^2 */
    double gstar[3][3];              /* reciprocal metric, 1/Angstrom^2 */
    int64_t nops;
    tsct_symop *ops;
    int64_t nsites;
    tsct_site *sites;
    const tsct_formfactor **ff;      /* per site, as typed (ion if known) */
    const tsct_formfactor **ff_neutral;
    int *fallback;                   /* per site: 1 if the ion fell back to the neutral atom */
    int64_t natoms;
    tsct_atom *atoms;
    int nlaue;
    int laue[TSCT__LAUE_MAX][3][3];
};

#endif
