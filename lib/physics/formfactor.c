/* formfactor.c - element lookup and Waasmaier-Kirfel form factors (include/tsct/formfactor.h).
 *
 * The coefficient and element tables are generated (formfactor_table.c, element_table.c);
 * this file only looks them up and evaluates f0(s) = sum a_i exp(-b_i s^2) + c. Lookups are
 * linear scans over 211 entries: cheap next to anything that uses the result, and callers
 * that evaluate f0 often keep the returned pointer. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "physics_internal.h"

int tsct_element_z(const char *symbol)
{
    if (!symbol)
        return 0;
    for (int z = 1; z <= TSCT__ELEMENT_COUNT; z++)
        if (strcmp(symbol, tsct__elements[z].symbol) == 0)
            return z;
    return 0;
}

const char *tsct_element_symbol(int z)
{
    if (z < 1 || z > TSCT__ELEMENT_COUNT)
        return NULL;
    return tsct__elements[z].symbol;
}

double tsct_element_mass(int z)
{
    if (z < 1 || z > TSCT__ELEMENT_COUNT)
        return NAN;
    return tsct__elements[z].mass;
}

int64_t tsct_formfactor_count(void)
{
    return TSCT__WK1995_COUNT;
}

const tsct_formfactor *tsct_formfactor_at(int64_t i)
{
    if (i < 0 || i >= TSCT__WK1995_COUNT)
        return NULL;
    return &tsct__wk1995[i];
}

static const tsct_formfactor *find_exact(const char *symbol)
{
    for (int i = 0; i < TSCT__WK1995_COUNT; i++)
        if (strcmp(symbol, tsct__wk1995[i].symbol) == 0)
            return &tsct__wk1995[i];
    return NULL;
}

/* Rewrite "Li+", "O-2", "Co+3", "Fe3+" into the paper's "Li1+", "O2-", "Co3+", "Fe3+"
 * (and "O0", "O+0" into "O"). Returns 0 if the symbol is not element + charge. */
static int canonical_symbol(const char *s, char *out, size_t size)
{
    if (!isupper((unsigned char)s[0]))
        return 0;
    size_t ne = islower((unsigned char)s[1]) ? 2 : 1;
    const char *p = s + ne;
    int sign = 0;
    long n = 1;
    if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        p++;
        if (isdigit((unsigned char)*p)) {
            char *end;
            n = strtol(p, &end, 10);
            p = end;
        }
    } else if (isdigit((unsigned char)*p)) {
        char *end;
        n = strtol(p, &end, 10);
        p = end;
        if (*p == '+' || *p == '-') {
            sign = *p == '+' ? 1 : -1;
            p++;
        } else if (n != 0) {
            return 0;
        }
    }
    if (*p != '\0' || n < 0 || n > 9)
        return 0;
    if (sign == 0 || n == 0)
        snprintf(out, size, "%.*s", (int)ne, s);
    else
        snprintf(out, size, "%.*s%ld%c", (int)ne, s, n, sign > 0 ? '+' : '-');
    return 1;
}

tsct_status tsct_formfactor_find(const char *symbol, const tsct_formfactor **out,
                                 tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!symbol || !out)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "symbol", -1, "NULL argument");
    const tsct_formfactor *ff = find_exact(symbol);
    if (!ff) {
        char canon[16];
        if (strlen(symbol) < 8 && canonical_symbol(symbol, canon, sizeof canon))
            ff = find_exact(canon);
    }
    if (!ff)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, symbol, -1,
                              "no Waasmaier-Kirfel form factor for \"%s\" (element symbols "
                              "are case-sensitive; ions are written like O2-, Li1+ or Li+)",
                              symbol);
    *out = ff;
    return TSCT_OK;
}

double tsct_formfactor_f0_s(const tsct_formfactor *ff, double s)
{
    double s2 = s * s;
    double f = ff->c;
    for (int i = 0; i < 5; i++)
        f += ff->a[i] * exp(-ff->b[i] * s2);
    return f;
}

double tsct_formfactor_f0(const tsct_formfactor *ff, double q)
{
    return tsct_formfactor_f0_s(ff, q / (4.0 * M_PI));
}

void tsct_formfactor_f0_array(const tsct_formfactor *ff, const double *q, int64_t n,
                              double *out)
{
    for (int64_t i = 0; i < n; i++)
        out[i] = tsct_formfactor_f0(ff, q[i]);
}

size_t tsct__parse_number(const char *s, size_t n, int allow_su, double *value)
{
    size_t i = 0;
    char buf[64];
    size_t nb = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        buf[nb++] = s[i++];
    size_t ndig = 0;
    while (i < n && isdigit((unsigned char)s[i]) && nb < 40) {
        buf[nb++] = s[i++];
        ndig++;
    }
    if (i < n && s[i] == '.') {
        buf[nb++] = s[i++];
        while (i < n && isdigit((unsigned char)s[i]) && nb < 60) {
            buf[nb++] = s[i++];
            ndig++;
        }
    }
    if (ndig == 0)
        return 0;
    if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < n && isdigit((unsigned char)s[j])) {
            size_t k = i;
            while (k < j && nb < 62)
                buf[nb++] = s[k++];
            while (j < n && isdigit((unsigned char)s[j]) && nb < 63)
                buf[nb++] = s[j++];
            i = j;
        }
    }
    buf[nb] = '\0';
    if (allow_su && i < n && s[i] == '(') {
        size_t j = i + 1;
        while (j < n && isdigit((unsigned char)s[j]))
            j++;
        if (j < n && s[j] == ')' && j > i + 1)
            i = j + 1;
    }
    *value = strtod(buf, NULL);
    return i;
}
