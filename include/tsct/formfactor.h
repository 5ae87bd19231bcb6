/* tsct/formfactor.h - elements and X-ray atomic form factors f0(Q).
 *
 * Definitions (docs/physics.md):
 *   Q = 4 pi sin(theta) / lambda   scattering vector magnitude, 1/Angstrom
 *   s = sin(theta) / lambda = Q / (4 pi)   1/Angstrom
 *   f0(s) = sum_{i=1..5} a_i exp(-b_i s^2) + c      electrons
 * with the coefficients of D. Waasmaier & A. Kirfel, Acta Cryst. A51 (1995) 416-431, for the
 * neutral atoms H to Cf and 114 ions (211 entries in all, the paper's full table). The
 * parametrisation fits the International Tables (Vol. C, 1992, tables 6.1.1.1 and 6.1.1.3)
 * values for 0 <= s <= 6 1/Angstrom (Q <= 75 1/Angstrom); beyond that f0 is extrapolated.
 * f0 is the non-dispersive part: no anomalous terms f', f''.
 *
 * Symbols are case-sensitive: "O", "Co", "O2-", "Li1+", "Fe3+". The lookup also accepts the
 * usual variants of a charge: "Li+" (= "Li1+"), "O-2", "Co+3" (as CIF _atom_site_type_symbol
 * writes them). "Cval" and "Siva" are the paper's valence-state C and Si.
 *
 * All data are static and read-only: every function here is thread-safe, and the pointers it
 * returns are valid for the life of the program (never free them).
 */
#ifndef TSCT_FORMFACTOR_H
#define TSCT_FORMFACTOR_H

#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One Waasmaier-Kirfel coefficient set. */
typedef struct tsct_formfactor {
    char symbol[8];   /* as in the paper: "O", "O2-", "Li1+", "Cval" */
    int z;            /* atomic number of the element */
    int charge;       /* ionic charge in e (+3 for Fe3+, -2 for O2-); f0(0) ~ z - charge */
    double a[5];      /* electrons */
    double b[5];      /* Angstrom^2 */
    double c;         /* electrons */
} tsct_formfactor;

/* ---- elements ------------------------------------------------------------------------------ */

/* Largest atomic number known (98, Cf). */
#define TSCT_ELEMENT_ZMAX 98

/* Atomic number of an element symbol ("O", "Ce"; case-sensitive, exact, no charge), or 0 if
 * it is not an element H..Cf. */
int tsct_element_z(const char *symbol);

/* Symbol of atomic number z (1..98), or NULL. */
const char *tsct_element_symbol(int z);

/* Standard atomic weight of element z in g/mol (1..98; for elements without stable isotopes
 * the mass number of a long-lived isotope), or NaN for z out of range. */
double tsct_element_mass(int z);

/* ---- form factors -------------------------------------------------------------------------- */

/* Number of coefficient sets in the table (211). */
int64_t tsct_formfactor_count(void);

/* Entry i of the table (0 <= i < count, in the paper's order), or NULL. */
const tsct_formfactor *tsct_formfactor_at(int64_t i);

/* Find the coefficient set for `symbol` (see the accepted spellings above).
 * Errors: TSCT_ERR_NOT_FOUND (unknown symbol; item = the symbol), TSCT_ERR_VALUE (NULL).
 * On error *out is NULL. */
tsct_status tsct_formfactor_find(const char *symbol, const tsct_formfactor **out,
                                 tsct_error *err);

/* f0 in electrons at s = sin(theta)/lambda (1/Angstrom); s < 0 is treated as |s|. */
double tsct_formfactor_f0_s(const tsct_formfactor *ff, double s);

/* f0 in electrons at Q (1/Angstrom), s = Q / (4 pi). */
double tsct_formfactor_f0(const tsct_formfactor *ff, double q);

/* f0 at n values of Q (1/Angstrom) into out[n] (out may alias q). */
void tsct_formfactor_f0_array(const tsct_formfactor *ff, const double *q, int64_t n,
                              double *out);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_FORMFACTOR_H */
