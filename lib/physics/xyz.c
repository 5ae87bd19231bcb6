/* xyz.c - clusters from XYZ files (tsct_debye_cluster_parse_xyz / _read_xyz, tsct/debye.h):
 * the atom count, a comment, then "SYMBOL x y z" per atom. The lines are read in place from a
 * bounded buffer; nothing is trusted: the count is checked against its limit and the lines
 * that follow, symbols against the form-factor table. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "physics_internal.h"
#include "tsct/debye.h"

/* The next line of text[*pos .. len) into buf (cut at size - 1 bytes); 0 at the end. */
static int next_line(const char *text, size_t len, size_t *pos, char *buf, size_t size)
{
    if (*pos >= len)
        return 0;
    size_t n = 0;
    while (*pos < len && text[*pos] != '\n') {
        if (n + 1 < size)
            buf[n++] = text[*pos];
        (*pos)++;
    }
    (*pos)++;
    buf[n] = '\0';
    return 1;
}

/* A finite number filling the whole field. */
static int field_number(const char *s, double *v)
{
    const size_t n = strlen(s);
    return n > 0 && tsct__parse_number(s, n, 0, v) == n && isfinite(*v);
}

tsct_status tsct_debye_cluster_parse_xyz(tsct_debye_cluster **out, const char *text, size_t len,
                                         tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || (!text && len))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "XYZ", -1, "NULL argument");
    char line[512];
    size_t pos = 0;
    double count = 0.0;
    char first[64] = "";
    if (next_line(text, len, &pos, line, sizeof line))
        sscanf(line, "%63s", first);
    if (!field_number(first, &count) || count != floor(count) || count < 1 ||
        count > TSCT_DEBYE_XYZ_MAX_ATOMS)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "atom count", 1,
                              "line 1 must hold the number of atoms (1 .. %d), got \"%.40s\"",
                              TSCT_DEBYE_XYZ_MAX_ATOMS, first);
    const int64_t n = (int64_t)count;
    next_line(text, len, &pos, line, sizeof line); /* the comment */
    double *xyz = malloc((size_t)(3 * n) * sizeof *xyz);
    char (*sym)[16] = malloc((size_t)n * sizeof *sym);
    const char **types = malloc((size_t)n * sizeof *types);
    tsct_status st = xyz && sym && types
                         ? TSCT_OK
                         : tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "XYZ", -1, "%lld atoms",
                                          (long long)n);
    for (int64_t i = 0; st == TSCT_OK && i < n; i++) {
        const int64_t lineno = i + 3;
        if (!next_line(text, len, &pos, line, sizeof line)) {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "atoms", lineno,
                                "line 1 announces %lld atoms, the file ends after %lld",
                                (long long)n, (long long)i);
            break;
        }
        char f[4][64];
        const int got = sscanf(line, "%63s %63s %63s %63s", f[0], f[1], f[2], f[3]);
        double v[3] = {0};
        int ok = got == 4;
        for (int k = 0; ok && k < 3; k++)
            ok = field_number(f[k + 1], &v[k]);
        if (!ok) {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "atom line", lineno,
                                "line %lld: expected \"SYMBOL x y z\" with finite numbers, got "
                                "\"%.60s\"", (long long)lineno, line);
            break;
        }
        /* "Bi1" is the element Bi; charges ("O2-") go to the table as written. */
        size_t e = 0;
        while (isalpha((unsigned char)f[0][e]))
            e++;
        const int label = f[0][e] && strspn(f[0] + e, "0123456789") == strlen(f[0] + e);
        snprintf(sym[i], sizeof sym[i], "%.*s", label ? (int)e : 15, f[0]);
        types[i] = sym[i];
        memcpy(xyz + 3 * i, v, sizeof v);
        const tsct_formfactor *ff = NULL;
        if ((st = tsct_formfactor_find(sym[i], &ff, err)) != TSCT_OK) {
            if (err)
                err->index = lineno;
            break;
        }
    }
    if (st == TSCT_OK)
        st = tsct_debye_cluster_create(out, n, xyz, types, NULL, err);
    free(xyz);
    free(sym);
    free(types);
    return st;
}

tsct_status tsct_debye_cluster_read_xyz(tsct_debye_cluster **out, const char *path,
                                        tsct_error *err)
{
    if (out)
        *out = NULL;
    if (!out || !path)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "XYZ", -1, "NULL argument");
    char *buf = NULL;
    size_t n = 0;
    tsct_status st = tsct__read_text(path, &buf, &n, err);
    if (st != TSCT_OK)
        return st;
    st = tsct_debye_cluster_parse_xyz(out, buf, n, err);
    tsct_error_set_file(err, path);
    free(buf);
    return st;
}
