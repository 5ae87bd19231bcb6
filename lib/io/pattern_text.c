/* pattern_text.c - two-column text patterns (.xy, .chi, .iq, .gr) and linear interpolation.
 *
 * Lines are read whole; a line counts as data when it starts with two numbers. Everything
 * else (comments, Fit2D's title and count lines, PDFgetX3's configuration header) is skipped,
 * so the reader needs no knowledge of the producing program. A comment line containing
 * "start data" (PDFgetX3's "#### start data", PDFgetX2's "##### start data") starts the data
 * afresh: PDFgetX2 headers hold lines of numbers (its detector table) that are not data. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/publish.h"
#include "tsct/pattern.h"

/* Parse two leading numbers of a line; 1 if found. */
static int two_numbers(const char *s, double *a, double *b)
{
    char *end;
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    if (*s == '#' || *s == '!' || *s == ';' || *s == '\0')
        return 0;
    errno = 0;
    *a = strtod(s, &end);
    if (end == s)
        return 0;
    s = end;
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    *b = strtod(s, &end);
    if (end == s)
        return 0;
    return 1;
}

tsct_status tsct_pattern_read_text(const char *path, double **x, double **y, int64_t *n,
                                   tsct_error *err)
{
    *x = *y = NULL;
    *n = 0;
    tsct_publish_note_input(path);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return tsct_error_set(err, errno == ENOENT ? TSCT_ERR_NOT_FOUND : TSCT_ERR_IO, path,
                              NULL, -1, "cannot open: %s", strerror(errno));
    int64_t cap = 1024, len = 0, lineno = 0, run = 0;
    double *xs = malloc((size_t)cap * sizeof *xs), *ys = malloc((size_t)cap * sizeof *ys);
    char line[4096];
    tsct_status st = TSCT_OK;
    if (!xs || !ys) {
        st = tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "pattern buffers");
        goto done;
    }
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        size_t l = strlen(line);
        if (l == sizeof line - 1 && line[l - 1] != '\n') {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, path, "line", lineno,
                                "longer than %zu characters", sizeof line - 2);
            goto done;
        }
        double a, b;
        if (line[strspn(line, " \t")] == '#' && strstr(line, "start data")) {
            len = 0;
            continue;
        }
        if (!two_numbers(line, &a, &b)) {
            /* Text before the data is a header (a .chi's title, labels and point count; a
             * PDFgetX2 header even holds lines of numbers among its text); once a run of
             * data lines has begun, a line that is neither blank, a comment nor two numbers
             * is damage, not something to skip. */
            const char *t = line + strspn(line, " \t\r\n");
            if (run >= 3 && *t && !strchr("#;!%", *t)) {
                char shown[64];
                size_t k = strcspn(t, "\r\n");
                snprintf(shown, sizeof shown, "%.*s", (int)(k < 60 ? k : 60), t);
                st = tsct_error_set(err, TSCT_ERR_FORMAT, path, "line", lineno,
                                    "expected two numbers (x y) after %lld data lines, found "
                                    "'%s'",
                                    (long long)len, shown);
                goto done;
            }
            if (*t)
                run = 0;
            continue;
        }
        run++;
        if (!isfinite(a) || !isfinite(b)) {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, path, "line", lineno,
                                "expected finite numbers, found '%.60s'", line);
            goto done;
        }
        if (len == cap) {
            cap *= 2;
            double *nx = realloc(xs, (size_t)cap * sizeof *xs);
            if (nx)
                xs = nx;
            double *ny = nx ? realloc(ys, (size_t)cap * sizeof *ys) : NULL;
            if (!nx || !ny) {
                st = tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "%lld points",
                                    (long long)cap);
                goto done;
            }
            ys = ny;
        }
        xs[len] = a;
        ys[len] = b;
        len++;
    }
    if (ferror(fp)) {
        st = tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "read error");
        goto done;
    }
    if (len == 0) {
        st = tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1,
                            "no data: expected lines of two numbers (x y)");
        goto done;
    }
done:
    fclose(fp);
    if (st != TSCT_OK) {
        free(xs);
        free(ys);
        return st;
    }
    *x = xs;
    *y = ys;
    *n = len;
    return TSCT_OK;
}

void tsct_pattern_interp(const double *xs, const double *ys, int64_t n, const double *x,
                         int64_t m, double *out)
{
    int64_t k = 0;
    for (int64_t i = 0; i < m; i++) {
        double v = x[i];
        if (n < 1 || !(v >= xs[0] && v <= xs[n - 1])) {
            out[i] = NAN;
            continue;
        }
        if (n == 1) {
            out[i] = ys[0];
            continue;
        }
        /* x is usually increasing: walk forward, restart by bisection otherwise. */
        if (k > n - 2 || xs[k] > v) {
            int64_t lo = 0, hi = n - 1;
            while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                if (xs[mid] <= v)
                    lo = mid;
                else
                    hi = mid;
            }
            k = lo;
        }
        while (k < n - 2 && xs[k + 1] < v)
            k++;
        double t = (v - xs[k]) / (xs[k + 1] - xs[k]);
        out[i] = ys[k] + t * (ys[k + 1] - ys[k]);
    }
}

tsct_status tsct_pattern_write_text(const char *path, const char *header, const char *label,
                                    const double *x, const double *y, int64_t n, double xmax,
                                    tsct_error *err)
{
    tsct_publish pub;
    FILE *fp;
    TSCT_TRY(tsct_publish_fopen(&pub, path, &fp, err));
    fprintf(fp, "%s\n#### start data\n#S 1\n#L %s\n", header, label);
    for (int64_t i = 0; i < n; i++)
        if (x[i] <= xmax && isfinite(y[i]))
            fprintf(fp, "%.9g %.9g\n", x[i], y[i]);
    return tsct_publish_fclose(&pub, fp, err);
}
