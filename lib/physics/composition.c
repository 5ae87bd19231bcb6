/* composition.c - chemical formula parser and mean form factors (include/tsct/composition.h).
 *
 * A recursive-descent parser over the grammar
 *     formula := { space | group }
 *     group   := ( symbol | open formula close ) [ space* count ]
 *     count   := number [ "/" number ]
 * that multiplies counts down the bracket nesting and adds them per element. Every error
 * names the 0-based offset of the character that broke the grammar, so a user can see where
 * "Pb(TiZr0.5O3" went wrong. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "physics_internal.h"
#include "tsct/composition.h"

#define MAX_DEPTH 32

struct tsct_composition {
    int64_t n;
    int z[TSCT__ELEMENT_COUNT];
    double amount[TSCT__ELEMENT_COUNT];
    double total;
    double mass;
    const tsct_formfactor *ff[TSCT__ELEMENT_COUNT];
};

typedef struct parser {
    const char *s;
    size_t len;
    size_t pos;
    double amount[TSCT__ELEMENT_COUNT + 1];   /* by z */
    int order[TSCT__ELEMENT_COUNT];
    int norder;
    int64_t nsym;   /* element symbols read so far */
    tsct_error *err;
} parser;

static tsct_status fail(parser *p, size_t at, const char *what)
{
    return tsct_error_set(p->err, TSCT_ERR_VALUE, NULL, p->s, (int64_t)at,
                          "%s at character %zu of the composition", what, at);
}

static void skip_space(parser *p)
{
    while (p->pos < p->len && isspace((unsigned char)p->s[p->pos]))
        p->pos++;
}

/* An optional count after a symbol or a closing bracket. */
static tsct_status parse_count(parser *p, double *count)
{
    size_t save = p->pos;
    skip_space(p);
    *count = 1.0;
    if (p->pos >= p->len)
        return TSCT_OK;
    char ch = p->s[p->pos];
    if (ch == '-' || ch == '+')
        return fail(p, p->pos, "signed counts are not allowed");
    if (!isdigit((unsigned char)ch) && ch != '.') {
        p->pos = save;
        return TSCT_OK;
    }
    double v;
    size_t used = tsct__parse_number(p->s + p->pos, p->len - p->pos, 0, &v);
    if (used == 0)
        return fail(p, p->pos, "bad count");
    if (!isfinite(v))
        return fail(p, p->pos, "count is not finite");
    p->pos += used;
    if (p->pos < p->len && p->s[p->pos] == '/') {
        /* A ratio, as PDFgetX3 writes "Pb 1 (Ti Zr) 1/2 O 3". */
        const size_t at = p->pos++;
        double d = 0;
        size_t u2 = p->pos < p->len && (isdigit((unsigned char)p->s[p->pos]) ||
                                        p->s[p->pos] == '.')
                        ? tsct__parse_number(p->s + p->pos, p->len - p->pos, 0, &d)
                        : 0;
        if (u2 == 0 || !(d > 0) || !isfinite(d))
            return fail(p, at, "bad ratio (expected a count like 1/2)");
        p->pos += u2;
        v /= d;
    }
    if (p->pos < p->len && (p->s[p->pos] == '.' || isdigit((unsigned char)p->s[p->pos]) ||
                            p->s[p->pos] == '/'))
        return fail(p, p->pos, "bad count");
    *count = v;
    return TSCT_OK;
}

static tsct_status parse_formula(parser *p, double mult, int depth, char close);

static tsct_status parse_group(parser *p, double mult, int depth)
{
    char ch = p->s[p->pos];
    if (ch == '(' || ch == '[') {
        size_t open = p->pos;
        if (depth >= MAX_DEPTH)
            return fail(p, open, "brackets nested too deeply");
        /* The count follows the bracket, so parse the contents into a scratch sum first. */
        double saved[TSCT__ELEMENT_COUNT + 1];
        memcpy(saved, p->amount, sizeof saved);
        int64_t nsym_before = p->nsym;
        memset(p->amount, 0, sizeof p->amount);
        p->pos++;
        TSCT_TRY(parse_formula(p, 1.0, depth + 1, ch == '(' ? ')' : ']'));
        if (p->nsym == nsym_before)
            return fail(p, open, "empty brackets");
        double count;
        TSCT_TRY(parse_count(p, &count));
        for (int z = 1; z <= TSCT__ELEMENT_COUNT; z++)
            saved[z] += p->amount[z] * count * mult;
        memcpy(p->amount, saved, sizeof saved);
        return TSCT_OK;
    }
    if (isupper((unsigned char)ch)) {
        size_t start = p->pos;
        char sym[3] = {ch, 0, 0};
        p->pos++;
        if (p->pos < p->len && islower((unsigned char)p->s[p->pos])) {
            sym[1] = p->s[p->pos];
            p->pos++;
        }
        int z = tsct_element_z(sym);
        if (z == 0)
            return tsct_error_set(p->err, TSCT_ERR_VALUE, NULL, p->s, (int64_t)start,
                                  "unknown element \"%s\" at character %zu of the composition "
                                  "(symbols are case-sensitive)", sym, start);
        double count;
        TSCT_TRY(parse_count(p, &count));
        int seen = 0;
        for (int i = 0; i < p->norder; i++)
            seen |= p->order[i] == z;
        if (!seen)
            p->order[p->norder++] = z;
        p->amount[z] += count * mult;
        p->nsym++;
        return TSCT_OK;
    }
    if (islower((unsigned char)ch))
        return tsct_error_set(p->err, TSCT_ERR_VALUE, NULL, p->s, (int64_t)p->pos,
                              "element symbol starting with lower-case '%c' at character %zu "
                              "of the composition (symbols are case-sensitive)", ch, p->pos);
    if (ch == ')' || ch == ']')
        return fail(p, p->pos, "unbalanced closing bracket");
    if (isdigit((unsigned char)ch) || ch == '.')
        return fail(p, p->pos, "count without an element");
    return fail(p, p->pos, "unexpected character");
}

static tsct_status parse_formula(parser *p, double mult, int depth, char close)
{
    for (;;) {
        skip_space(p);
        if (p->pos >= p->len) {
            if (close)
                return fail(p, p->pos, "missing closing bracket");
            return TSCT_OK;
        }
        char ch = p->s[p->pos];
        if (close && ch == close) {
            p->pos++;
            return TSCT_OK;
        }
        TSCT_TRY(parse_group(p, mult, depth));
    }
}

tsct_status tsct_composition_parse(tsct_composition **out, const char *formula,
                                   tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !formula)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "composition", -1, "NULL argument");
    parser *p = calloc(1, sizeof *p);
    if (!p)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, formula, -1, "out of memory");
    p->s = formula;
    p->len = strlen(formula);
    p->err = err;
    tsct_status st = parse_formula(p, 1.0, 0, 0);
    if (st == TSCT_OK && p->norder == 0)
        st = fail(p, 0, "empty composition");
    tsct_composition *c = NULL;
    if (st == TSCT_OK) {
        c = calloc(1, sizeof *c);
        if (!c)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, formula, -1, "out of memory");
    }
    if (st == TSCT_OK) {
        for (int i = 0; i < p->norder; i++) {
            int z = p->order[i];
            c->z[c->n] = z;
            c->amount[c->n] = p->amount[z];
            c->total += p->amount[z];
            c->mass += p->amount[z] * tsct_element_mass(z);
            st = tsct_formfactor_find(tsct_element_symbol(z), &c->ff[c->n], err);
            if (st != TSCT_OK)
                break;
            c->n++;
        }
        if (st == TSCT_OK && !(c->total > 0.0))
            st = fail(p, 0, "the counts add up to zero");
    }
    free(p);
    if (st != TSCT_OK) {
        free(c);
        return st;
    }
    *out = c;
    return TSCT_OK;
}

void tsct_composition_destroy(tsct_composition *comp)
{
    free(comp);
}

int64_t tsct_composition_count(const tsct_composition *comp)
{
    return comp->n;
}

int tsct_composition_z(const tsct_composition *comp, int64_t i)
{
    return (i >= 0 && i < comp->n) ? comp->z[i] : 0;
}

const char *tsct_composition_symbol(const tsct_composition *comp, int64_t i)
{
    return (i >= 0 && i < comp->n) ? tsct_element_symbol(comp->z[i]) : NULL;
}

double tsct_composition_amount(const tsct_composition *comp, int64_t i)
{
    return (i >= 0 && i < comp->n) ? comp->amount[i] : NAN;
}

double tsct_composition_fraction(const tsct_composition *comp, int64_t i)
{
    return (i >= 0 && i < comp->n) ? comp->amount[i] / comp->total : NAN;
}

double tsct_composition_atoms(const tsct_composition *comp)
{
    return comp->total;
}

double tsct_composition_mass(const tsct_composition *comp)
{
    return comp->mass;
}

void tsct_composition_f_average(const tsct_composition *comp, const double *q, int64_t n,
                                double *f_mean, double *f2_mean)
{
    for (int64_t k = 0; k < n; k++) {
        double m1 = 0.0, m2 = 0.0;
        for (int64_t i = 0; i < comp->n; i++) {
            double x = comp->amount[i] / comp->total;
            double f = tsct_formfactor_f0(comp->ff[i], q[k]);
            m1 += x * f;
            m2 += x * f * f;
        }
        if (f_mean)
            f_mean[k] = m1;
        if (f2_mean)
            f2_mean[k] = m2;
    }
}
