/* physics_internal.h - tables and helpers shared by the lib/physics sources (not installed). */
#ifndef TSCT_PHYSICS_INTERNAL_H
#define TSCT_PHYSICS_INTERNAL_H

#include <stddef.h>

#include "tsct/formfactor.h"

#define TSCT__WK1995_COUNT 211
#define TSCT__ELEMENT_COUNT TSCT_ELEMENT_ZMAX

typedef struct tsct__element {
    char symbol[4];
    int z;
    double mass;   /* g/mol */
} tsct__element;

/* element_table.c: index z = 1..98; entry 0 is empty. */
extern const tsct__element tsct__elements[TSCT__ELEMENT_COUNT + 1];
/* formfactor_table.c */
extern const tsct_formfactor tsct__wk1995[TSCT__WK1995_COUNT];

/* Parse a number as CIF and formulas write it: optional sign, digits, optional fraction and
 * exponent, and (for CIF) an optional standard uncertainty "(12)" that is ignored.
 * Returns the number of characters consumed (0 if none); *value receives the number. */
size_t tsct__parse_number(const char *s, size_t n, int allow_su, double *value);

#endif
