/* cif.c - the CIF 1.1 subset that real crystal-structure files use (tsct_crystal_parse_cif).
 *
 * Two passes: a tokenizer that turns the first data block into tags, single values and loops
 * (values are spans of the caller's text, never copied), then an extractor that pulls the
 * cell, operators and atom sites out of it and hands them to tsct_crystal_create(). Syntax
 * follows the CIF 1.1 specification (Hall, Allen & Brown, Acta Cryst. A47 (1991) 655, and
 * the IUCr CIF 1.1 syntax page): '#' comments, data_ blocks, loop_, tags that are
 * case-insensitive, values that are bare, 'quoted' or "quoted" (a quote closes only when
 * followed by white space) or ';'-delimited text fields, '.' and '?' for inapplicable and
 * unknown. Every error names the line. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "crystal_internal.h"
#include "physics_internal.h"

typedef struct cif_val {
    size_t off, len;
    int64_t line;
    int quoted;
} cif_val;

typedef struct cif_tag {
    char name[80];      /* lower case */
    int64_t loop;       /* -1 for a single item */
    int64_t col;
    int64_t val;        /* single items: index into vals */
    int64_t line;
} cif_tag;

typedef struct cif_loop {
    int64_t ncols, nrows;
    int64_t first;      /* index of the first value */
} cif_loop;

typedef struct cif_doc {
    const char *text;
    size_t len;
    cif_val *vals;
    int64_t nvals, capvals;
    cif_tag *tags;
    int64_t ntags, captags;
    cif_loop *loops;
    int64_t nloops, caploops;
} cif_doc;

enum { TOK_EOF, TOK_VALUE, TOK_TAG, TOK_LOOP, TOK_DATA, TOK_SKIP };

typedef struct lexer {
    const char *s;
    size_t n, pos;
    int64_t line;
} lexer;

typedef struct token {
    int kind;
    size_t off, len;
    int64_t line;
    int quoted;
} token;

static int at_line_start(const lexer *lx, size_t pos)
{
    return pos == 0 || lx->s[pos - 1] == '\n' || lx->s[pos - 1] == '\r';
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static tsct_status next_token(lexer *lx, token *t, tsct_error *err)
{
    const char *s = lx->s;
    for (;;) {
        while (lx->pos < lx->n && is_ws(s[lx->pos])) {
            if (s[lx->pos] == '\n')
                lx->line++;
            lx->pos++;
        }
        if (lx->pos < lx->n && s[lx->pos] == '#') {
            while (lx->pos < lx->n && s[lx->pos] != '\n')
                lx->pos++;
            continue;
        }
        break;
    }
    t->line = lx->line;
    t->quoted = 0;
    if (lx->pos >= lx->n) {
        t->kind = TOK_EOF;
        return TSCT_OK;
    }
    char c = s[lx->pos];
    if (c == ';' && at_line_start(lx, lx->pos)) {
        size_t start = lx->pos + 1;
        size_t p = start;
        int64_t line = lx->line;
        for (;;) {
            while (p < lx->n && s[p] != '\n')
                p++;
            if (p >= lx->n)
                return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "text field", t->line,
                                      "text field opened with ';' on line %lld is never "
                                      "closed (truncated file?)", (long long)t->line);
            p++;
            line++;
            if (p < lx->n && s[p] == ';')
                break;
        }
        t->kind = TOK_VALUE;
        t->quoted = 1;
        t->off = start;
        t->len = p - start;
        /* drop the line break before the closing ';' */
        while (t->len > 0 && (s[start + t->len - 1] == '\n' || s[start + t->len - 1] == '\r'))
            t->len--;
        lx->pos = p + 1;
        lx->line = line;
        return TSCT_OK;
    }
    if (c == '\'' || c == '"') {
        size_t p = lx->pos + 1;
        for (;;) {
            if (p >= lx->n || s[p] == '\n' || s[p] == '\r')
                return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "quoted value", t->line,
                                      "quote %c opened on line %lld is not closed on that line",
                                      c, (long long)t->line);
            if (s[p] == c && (p + 1 >= lx->n || is_ws(s[p + 1])))
                break;
            p++;
        }
        t->kind = TOK_VALUE;
        t->quoted = 1;
        t->off = lx->pos + 1;
        t->len = p - lx->pos - 1;
        lx->pos = p + 1;
        return TSCT_OK;
    }
    size_t start = lx->pos;
    while (lx->pos < lx->n && !is_ws(s[lx->pos]))
        lx->pos++;
    t->off = start;
    t->len = lx->pos - start;
    if (c == '_')
        t->kind = TOK_TAG;
    else if (t->len == 5 && strncasecmp(s + start, "loop_", 5) == 0)
        t->kind = TOK_LOOP;
    else if (t->len >= 5 && strncasecmp(s + start, "data_", 5) == 0)
        t->kind = TOK_DATA;
    else if ((t->len >= 5 && strncasecmp(s + start, "save_", 5) == 0) ||
             (t->len == 7 && strncasecmp(s + start, "global_", 7) == 0) ||
             (t->len == 5 && strncasecmp(s + start, "stop_", 5) == 0))
        t->kind = TOK_SKIP;
    else
        t->kind = TOK_VALUE;
    return TSCT_OK;
}

#define GROW(arr, n, cap)                                                          \
    do {                                                                           \
        if ((n) == (cap)) {                                                        \
            int64_t nc_ = (cap) ? 2 * (cap) : 64;                                  \
            void *np_ = realloc((arr), (size_t)nc_ * sizeof *(arr));               \
            if (!np_)                                                              \
                return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "CIF", -1,        \
                                      "out of memory");                            \
            (arr) = np_;                                                           \
            (cap) = nc_;                                                           \
        }                                                                          \
    } while (0)

static tsct_status add_val(cif_doc *d, const token *t, tsct_error *err)
{
    GROW(d->vals, d->nvals, d->capvals);
    d->vals[d->nvals].off = t->off;
    d->vals[d->nvals].len = t->len;
    d->vals[d->nvals].line = t->line;
    d->vals[d->nvals].quoted = t->quoted;
    d->nvals++;
    return TSCT_OK;
}

static tsct_status add_tag(cif_doc *d, const token *t, int64_t loop, int64_t col, int64_t val,
                           tsct_error *err)
{
    GROW(d->tags, d->ntags, d->captags);
    cif_tag *g = &d->tags[d->ntags++];
    size_t n = t->len < sizeof g->name - 1 ? t->len : sizeof g->name - 1;
    for (size_t i = 0; i < n; i++)
        g->name[i] = (char)tolower((unsigned char)d->text[t->off + i]);
    g->name[n] = '\0';
    g->loop = loop;
    g->col = col;
    g->val = val;
    g->line = t->line;
    return TSCT_OK;
}

static tsct_status tokenize(cif_doc *d, tsct_error *err)
{
    lexer lx = {d->text, d->len, 0, 1};
    token t;
    int seen_data = 0;
    TSCT_TRY(next_token(&lx, &t, err));
    while (t.kind != TOK_EOF) {
        if (t.kind == TOK_DATA) {
            if (seen_data)
                break;
            seen_data = 1;
            TSCT_TRY(next_token(&lx, &t, err));
        } else if (t.kind == TOK_SKIP) {
            TSCT_TRY(next_token(&lx, &t, err));
        } else if (t.kind == TOK_TAG) {
            token v;
            TSCT_TRY(next_token(&lx, &v, err));
            if (v.kind != TOK_VALUE)
                return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "CIF line", t.line,
                                      "tag %.*s on line %lld has no value%s", (int)t.len,
                                      d->text + t.off, (long long)t.line,
                                      v.kind == TOK_EOF ? " (truncated file?)" : "");
            TSCT_TRY(add_val(d, &v, err));
            TSCT_TRY(add_tag(d, &t, -1, 0, d->nvals - 1, err));
            TSCT_TRY(next_token(&lx, &t, err));
        } else if (t.kind == TOK_LOOP) {
            int64_t loop_line = t.line;
            GROW(d->loops, d->nloops, d->caploops);
            int64_t li = d->nloops++;
            cif_loop *lp = &d->loops[li];
            lp->ncols = 0;
            lp->nrows = 0;
            lp->first = d->nvals;
            TSCT_TRY(next_token(&lx, &t, err));
            while (t.kind == TOK_TAG) {
                TSCT_TRY(add_tag(d, &t, li, d->loops[li].ncols, -1, err));
                d->loops[li].ncols++;
                TSCT_TRY(next_token(&lx, &t, err));
            }
            if (d->loops[li].ncols == 0)
                return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "CIF line", loop_line,
                                      "loop_ on line %lld has no tags", (long long)loop_line);
            int64_t nv = 0;
            while (t.kind == TOK_VALUE) {
                TSCT_TRY(add_val(d, &t, err));
                nv++;
                TSCT_TRY(next_token(&lx, &t, err));
            }
            lp = &d->loops[li];
            if (nv == 0 || nv % lp->ncols != 0)
                return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "CIF line", loop_line,
                                      "loop_ on line %lld has %lld tags but %lld values (not a "
                                      "positive multiple; truncated file?)",
                                      (long long)loop_line, (long long)lp->ncols,
                                      (long long)nv);
            lp->nrows = nv / lp->ncols;
        } else {
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "CIF line", t.line,
                                  "value \"%.*s\" on line %lld belongs to no tag",
                                  (int)(t.len > 40 ? 40 : t.len), d->text + t.off,
                                  (long long)t.line);
        }
    }
    if (!seen_data && d->ntags == 0)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "CIF", -1,
                              "no data_ block and no items: not a CIF");
    return TSCT_OK;
}

static const cif_tag *find_tag(const cif_doc *d, const char *name)
{
    for (int64_t i = 0; i < d->ntags; i++)
        if (strcmp(d->tags[i].name, name) == 0)
            return &d->tags[i];
    return NULL;
}

static int64_t tag_rows(const cif_doc *d, const cif_tag *g)
{
    return g->loop < 0 ? 1 : d->loops[g->loop].nrows;
}

static const cif_val *tag_value(const cif_doc *d, const cif_tag *g, int64_t row)
{
    if (g->loop < 0)
        return &d->vals[g->val];
    const cif_loop *lp = &d->loops[g->loop];
    return &d->vals[lp->first + row * lp->ncols + g->col];
}

static int val_missing(const cif_doc *d, const cif_val *v)
{
    return !v->quoted && v->len == 1 && (d->text[v->off] == '.' || d->text[v->off] == '?');
}

/* Copy a value into buf (truncated). */
static void val_copy(const cif_doc *d, const cif_val *v, char *buf, size_t size)
{
    size_t n = v->len < size - 1 ? v->len : size - 1;
    memcpy(buf, d->text + v->off, n);
    buf[n] = '\0';
}

/* Number at tag[row]. Returns TSCT_NOT_FOUND-like status through *present = 0 when the tag is
 * absent or the value is '.'/'?'. */
static tsct_status val_number(const cif_doc *d, const cif_tag *g, int64_t row, double *x,
                              int *present, tsct_error *err)
{
    *present = 0;
    if (!g)
        return TSCT_OK;
    const cif_val *v = tag_value(d, g, row);
    if (val_missing(d, v))
        return TSCT_OK;
    double y;
    size_t used = tsct__parse_number(d->text + v->off, v->len, 1, &y);
    if (used == 0 || used != v->len || !isfinite(y))
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, g->name, row,
                              "\"%.*s\" on line %lld is not a number", (int)(v->len > 40 ? 40 : v->len),
                              d->text + v->off, (long long)v->line);
    *x = y;
    *present = 1;
    return TSCT_OK;
}

static tsct_status required_number(const cif_doc *d, const char *name, double *x,
                                   tsct_error *err)
{
    const cif_tag *g = find_tag(d, name);
    int present;
    TSCT_TRY(val_number(d, g, 0, x, &present, err));
    if (!present)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, name, -1,
                              "required item %s is %s", name, g ? "unknown ('?' or '.')"
                                                                : "missing");
    return TSCT_OK;
}

static tsct_status extract(const cif_doc *d, tsct_crystal **out, tsct_error *err)
{
    tsct_cell cell;
    TSCT_TRY(required_number(d, "_cell_length_a", &cell.a, err));
    TSCT_TRY(required_number(d, "_cell_length_b", &cell.b, err));
    TSCT_TRY(required_number(d, "_cell_length_c", &cell.c, err));
    TSCT_TRY(required_number(d, "_cell_angle_alpha", &cell.alpha, err));
    TSCT_TRY(required_number(d, "_cell_angle_beta", &cell.beta, err));
    TSCT_TRY(required_number(d, "_cell_angle_gamma", &cell.gamma, err));
    TSCT_TRY(tsct_crystal_cell_check(&cell, err));

    char sg[64] = "";
    const cif_tag *gsg = find_tag(d, "_symmetry_space_group_name_h-m");
    if (!gsg)
        gsg = find_tag(d, "_space_group_name_h-m_alt");
    if (gsg && !val_missing(d, tag_value(d, gsg, 0)))
        val_copy(d, tag_value(d, gsg, 0), sg, sizeof sg);

    /* operators */
    const cif_tag *gop = find_tag(d, "_symmetry_equiv_pos_as_xyz");
    if (!gop)
        gop = find_tag(d, "_space_group_symop_operation_xyz");
    int64_t nops = 0;
    tsct_symop *ops = NULL;
    if (gop) {
        int64_t nr = tag_rows(d, gop);
        ops = malloc((size_t)nr * sizeof *ops);
        if (!ops)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "CIF", -1, "out of memory");
        for (int64_t r = 0; r < nr; r++) {
            const cif_val *v = tag_value(d, gop, r);
            char buf[128];
            val_copy(d, v, buf, sizeof buf);
            tsct_error sub = TSCT_ERROR_INIT;
            if (tsct_crystal_symop_parse(buf, &ops[nops], &sub) != TSCT_OK) {
                free(ops);
                return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, gop->name, r,
                                      "operator on line %lld: %s", (long long)v->line,
                                      sub.message);
            }
            nops++;
        }
    } else {
        char compact[64];
        size_t k = 0;
        for (size_t i = 0; sg[i] && k < sizeof compact - 1; i++)
            if (!isspace((unsigned char)sg[i]))
                compact[k++] = sg[i];
        compact[k] = '\0';
        double itn = 0.0;
        int have_itn = 0;
        const cif_tag *gn = find_tag(d, "_space_group_it_number");
        if (!gn)
            gn = find_tag(d, "_symmetry_int_tables_number");
        TSCT_TRY(val_number(d, gn, 0, &itn, &have_itn, err));
        if (strcmp(compact, "P1") != 0 && !(have_itn && itn == 1.0))
            return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL,
                                  "_symmetry_equiv_pos_as_xyz", -1,
                                  "no symmetry operators (_symmetry_equiv_pos_as_xyz or "
                                  "_space_group_symop_operation_xyz) for space group \"%s\"; "
                                  "tsct does not expand space-group names", sg);
    }

    /* atom sites */
    const cif_tag *gx = find_tag(d, "_atom_site_fract_x");
    const cif_tag *gy = find_tag(d, "_atom_site_fract_y");
    const cif_tag *gz = find_tag(d, "_atom_site_fract_z");
    const char *missing = !gx ? "_atom_site_fract_x" : !gy ? "_atom_site_fract_y"
                        : !gz ? "_atom_site_fract_z" : NULL;
    if (missing) {
        free(ops);
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, missing, -1,
                              "required item %s is missing (no atom sites; Cartesian "
                              "coordinates are not read)", missing);
    }
    const cif_tag *glab = find_tag(d, "_atom_site_label");
    const cif_tag *gtype = find_tag(d, "_atom_site_type_symbol");
    if (!glab && !gtype) {
        free(ops);
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, "_atom_site_label", -1,
                              "required item _atom_site_label (or _atom_site_type_symbol) is "
                              "missing");
    }
    const cif_tag *gocc = find_tag(d, "_atom_site_occupancy");
    const cif_tag *gu = find_tag(d, "_atom_site_u_iso_or_equiv");
    const cif_tag *gb = find_tag(d, "_atom_site_b_iso_or_equiv");
    int64_t ns = tag_rows(d, gx);
    const cif_tag *same[7] = {gy, gz, glab, gtype, gocc, gu, gb};
    for (int i = 0; i < 7; i++)
        if (same[i] && (same[i]->loop != gx->loop || tag_rows(d, same[i]) != ns)) {
            free(ops);
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, same[i]->name, -1,
                                  "%s is not in the same loop as _atom_site_fract_x",
                                  same[i]->name);
        }
    tsct_site *sites = calloc((size_t)ns, sizeof *sites);
    int *has_u = calloc((size_t)ns, sizeof *has_u);
    if (!sites || !has_u) {
        free(ops);
        free(sites);
        free(has_u);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "CIF", -1, "out of memory");
    }
    tsct_status st = TSCT_OK;
    const cif_tag *gxyz[3] = {gx, gy, gz};
    for (int64_t r = 0; r < ns && st == TSCT_OK; r++) {
        tsct_site *s = &sites[r];
        if (glab)
            val_copy(d, tag_value(d, glab, r), s->label, sizeof s->label);
        if (gtype && !val_missing(d, tag_value(d, gtype, r)))
            val_copy(d, tag_value(d, gtype, r), s->type, sizeof s->type);
        else {
            /* element from the label's leading letters: "Co1" -> "Co" */
            size_t k = 0;
            while (s->label[k] && isalpha((unsigned char)s->label[k]) && k < sizeof s->type - 1) {
                s->type[k] = s->label[k];
                k++;
            }
            s->type[k] = '\0';
        }
        if (!glab)
            snprintf(s->label, sizeof s->label, "%s", s->type);
        for (int i = 0; i < 3 && st == TSCT_OK; i++) {
            int present;
            st = val_number(d, gxyz[i], r, &s->x[i], &present, err);
            if (st == TSCT_OK && !present)
                st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, gxyz[i]->name, r,
                                    "site %s has no coordinate (%s is '?' or '.')", s->label,
                                    gxyz[i]->name);
        }
        int present;
        s->occupancy = 1.0;
        if (st == TSCT_OK)
            st = val_number(d, gocc, r, &s->occupancy, &present, err);
        if (st == TSCT_OK)
            st = val_number(d, gu, r, &s->uiso, &has_u[r], err);
        if (st == TSCT_OK && !has_u[r]) {
            double b;
            st = val_number(d, gb, r, &b, &present, err);
            if (st == TSCT_OK && present) {
                s->uiso = b / (8.0 * M_PI * M_PI);
                has_u[r] = 1;
            }
        }
    }

    /* anisotropic displacements give Ueq where no isotropic value is given (Fischer &
     * Tillmanns, Acta Cryst. C44 (1988) 775) */
    const cif_tag *galab = find_tag(d, "_atom_site_aniso_label");
    if (st == TSCT_OK && galab) {
        static const char *const un[6] = {"_atom_site_aniso_u_11", "_atom_site_aniso_u_22",
                                          "_atom_site_aniso_u_33", "_atom_site_aniso_u_12",
                                          "_atom_site_aniso_u_13", "_atom_site_aniso_u_23"};
        static const char *const bn[6] = {"_atom_site_aniso_b_11", "_atom_site_aniso_b_22",
                                          "_atom_site_aniso_b_33", "_atom_site_aniso_b_12",
                                          "_atom_site_aniso_b_13", "_atom_site_aniso_b_23"};
        static const int ij[6][2] = {{0, 0}, {1, 1}, {2, 2}, {0, 1}, {0, 2}, {1, 2}};
        const cif_tag *gu6[6];
        double scale = 1.0;
        int have = 1;
        for (int m = 0; m < 6; m++)
            have &= (gu6[m] = find_tag(d, un[m])) != NULL;
        if (!have) {
            have = 1;
            scale = 1.0 / (8.0 * M_PI * M_PI);
            for (int m = 0; m < 6; m++)
                have &= (gu6[m] = find_tag(d, bn[m])) != NULL;
        }
        double g[3][3], gs[3][3];
        if (have)
            st = tsct_crystal_cell_metric(&cell, g, gs, err);
        for (int64_t r = 0; have && st == TSCT_OK && r < tag_rows(d, galab); r++) {
            char lab[32];
            val_copy(d, tag_value(d, galab, r), lab, sizeof lab);
            int64_t site = -1;
            for (int64_t k = 0; k < ns && site < 0; k++)
                if (strcmp(sites[k].label, lab) == 0)
                    site = k;
            if (site < 0 || has_u[site])
                continue;
            double u[3][3] = {{0}};
            int complete = 1;
            for (int m = 0; m < 6 && st == TSCT_OK; m++) {
                int present;
                double x = 0.0;
                st = val_number(d, gu6[m], r, &x, &present, err);
                complete &= present;
                u[ij[m][0]][ij[m][1]] = u[ij[m][1]][ij[m][0]] = x * scale;
            }
            if (st != TSCT_OK || !complete)
                continue;
            double ueq = 0.0;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    ueq += u[i][j] * sqrt(gs[i][i]) * sqrt(gs[j][j]) * g[i][j];
            sites[site].uiso = ueq / 3.0;
            has_u[site] = 1;
        }
    }
    if (st == TSCT_OK)
        st = tsct_crystal_create(out, &cell, sg, ops, nops, sites, ns, err);
    free(ops);
    free(sites);
    free(has_u);
    return st;
}

tsct_status tsct_crystal_parse_cif(tsct_crystal **out, const char *text, size_t len,
                                   tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || (!text && len > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "CIF", -1, "NULL argument");
    cif_doc d;
    memset(&d, 0, sizeof d);
    d.text = text ? text : "";
    d.len = len;
    tsct_status st = tokenize(&d, err);
    if (st == TSCT_OK)
        st = extract(&d, out, err);
    free(d.vals);
    free(d.tags);
    free(d.loops);
    return st;
}

tsct_status tsct_crystal_read_cif(tsct_crystal **out, const char *path, tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !path)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "CIF", -1, "NULL argument");
    size_t n = 0;
    char *buf = NULL;
    tsct_status st = tsct__read_text(path, &buf, &n, err);
    if (st != TSCT_OK)
        return st;
    st = tsct_crystal_parse_cif(out, buf, n, err);
    tsct_error_set_file(err, path);
    free(buf);
    return st;
}
