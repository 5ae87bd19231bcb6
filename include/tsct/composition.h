/* tsct/composition.h - chemical compositions as PDFgetX3 writes them, and their mean form
 * factors.
 *
 * Accepted strings (case-sensitive element symbols H..Cf):
 *   "CeO2", "Ce O2", "Ce1 O2", "PbTi0.5Zr0.5O3", "Pb (TiZr)0.5 O3", "Li3Bi", "Ca(OH)2",
 *   "((Li2O)0.5 (CoO)1)2" - parentheses or square brackets nest; a count (integer or decimal,
 *   e.g. 2, 0.5, .25, 1e-2) follows a symbol or a closing bracket and may be separated from it
 *   by spaces ("O 2"); an element that appears more than once is summed ("CH3COOH" = C2 H4 O2).
 * Counts must be finite and >= 0 and the total > 0.
 *
 * With the counts n_i and x_i = n_i / sum_j n_j (atom fractions):
 *   <f>(Q)   = sum_i x_i f0_i(Q)
 *   <f^2>(Q) = sum_i x_i f0_i(Q)^2        (f0 from tsct/formfactor.h, neutral atoms)
 *   mass     = sum_i n_i m_i              g/mol per formula unit as written
 *
 * Ownership: tsct_composition_parse() allocates; tsct_composition_destroy() frees (NULL is a
 * no-op). A composition is immutable once parsed: concurrent readers are safe.
 */
#ifndef TSCT_COMPOSITION_H
#define TSCT_COMPOSITION_H

#include <stdint.h>

#include "tsct/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsct_composition tsct_composition;

/* Parse `formula`. Errors (err->item = the formula, err->index = 0-based offset of the
 * offending character): TSCT_ERR_VALUE for an unknown element, a stray character, an
 * unbalanced bracket, a bad or negative count, an empty formula or a zero total;
 * TSCT_ERR_NOMEM. On error *out is NULL. */
tsct_status tsct_composition_parse(tsct_composition **out, const char *formula,
                                   tsct_error *err);

/* Free a composition; NULL does nothing. */
void tsct_composition_destroy(tsct_composition *comp);

/* Number of distinct elements, in order of first appearance. */
int64_t tsct_composition_count(const tsct_composition *comp);

/* Element i (0 <= i < count): atomic number, symbol, count per formula unit and atom
 * fraction. Out-of-range i gives 0, NULL, NaN, NaN. */
int tsct_composition_z(const tsct_composition *comp, int64_t i);
const char *tsct_composition_symbol(const tsct_composition *comp, int64_t i);
double tsct_composition_amount(const tsct_composition *comp, int64_t i);
double tsct_composition_fraction(const tsct_composition *comp, int64_t i);

/* Total number of atoms per formula unit (sum of the counts). */
double tsct_composition_atoms(const tsct_composition *comp);

/* Formula mass, g/mol per formula unit as written. */
double tsct_composition_mass(const tsct_composition *comp);

/* <f>(Q) and <f^2>(Q) at n values of Q (1/Angstrom); either output may be NULL. Outputs must
 * not alias q. Thread-safe. */
void tsct_composition_f_average(const tsct_composition *comp, const double *q, int64_t n,
                                double *f_mean, double *f2_mean);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_COMPOSITION_H */
