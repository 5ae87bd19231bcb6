/* pattern_table.c - the scan table of a stack of text patterns (include/tsct/pattern.h):
 * which file holds the pattern of which angle, translation, time and slice.
 *
 * A CSV file: '#' lines and blank lines are skipped, the first other line names the columns
 * (file, angle, translation, time, slice; any order, case-insensitive, other columns
 * ignored), and every following line is one pattern. Numbers must be finite; files are
 * resolved against the table's folder. Every size is bounded before memory is taken
 * (TSCT_PATTERN_TABLE_ROWS_MAX rows, lines of TSCT_PATTERN_TABLE_LINE_MAX bytes).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tsct/pattern.h"
#include "tsct/publish.h"

enum { COL_FILE, COL_ANGLE, COL_TRANSLATION, COL_TIME, COL_SLICE, COL_COUNT };
static const char *const col_names[COL_COUNT] = {"file", "angle", "translation", "time",
                                                 "slice"};

void tsct_pattern_table_destroy(tsct_pattern_table *t)
{
    if (!t)
        return;
    for (int64_t i = 0; t->file && i < t->n; i++)
        free(t->file[i]);
    free(t->file);
    free(t->angle);
    free(t->translation);
    free(t->time);
    free(t->slice);
    free(t);
}

/* Split line (modified) at commas into at most cap trimmed fields; returns the count. */
static int split(char *line, char **field, int cap)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *end = strchr(p, ',');
        if (end)
            *end = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        char *q = p + strlen(p);
        while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r' || q[-1] == '\n'))
            *--q = '\0';
        if (n < cap)
            field[n] = p;
        n++;
        if (!end)
            break;
        p = end + 1;
    }
    return n;
}

static tsct_status grow(tsct_pattern_table *t, int64_t *cap, const int *col, const char *path,
                        tsct_error *err)
{
    if (t->n < *cap)
        return TSCT_OK;
    if (*cap >= TSCT_PATTERN_TABLE_ROWS_MAX)
        return tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1,
                              "more than %lld rows (TSCT_PATTERN_TABLE_ROWS_MAX)",
                              (long long)TSCT_PATTERN_TABLE_ROWS_MAX);
    const int64_t nc = *cap ? 2 * *cap : 64;
    char **f = realloc(t->file, (size_t)nc * sizeof *f);
    if (f)
        t->file = f;
    double **v[4] = {&t->angle, &t->translation, &t->time, &t->slice};
    int ok = f != NULL;
    for (int k = 0; k < 4 && ok; k++) {
        if (col[k + 1] < 0)
            continue;
        double *d = realloc(*v[k], (size_t)nc * sizeof *d);
        if (d)
            *v[k] = d;
        ok = d != NULL;
    }
    if (!ok)
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "%lld rows", (long long)nc);
    *cap = nc;
    return TSCT_OK;
}

/* The header: which field holds each column (-1: absent). */
static tsct_status header(char *line, const char *path, int64_t lineno, int *col, tsct_error *err)
{
    char *field[64];
    const int n = split(line, field, 64);
    for (int k = 0; k < COL_COUNT; k++)
        col[k] = -1;
    for (int i = 0; i < n && i < 64; i++)
        for (int k = 0; k < COL_COUNT; k++)
            if (strcasecmp(field[i], col_names[k]) == 0 && col[k] < 0)
                col[k] = i;
    for (int k = 0; k < 3; k++)
        if (col[k] < 0)
            return tsct_error_set(err, TSCT_ERR_FORMAT, path, "line", lineno,
                                  "the header has no column '%s' (expected the columns file, "
                                  "angle, translation and optionally time, slice)",
                                  col_names[k]);
    return TSCT_OK;
}

/* One data line into row t->n. */
static tsct_status row(tsct_pattern_table *t, char *line, const char *path, int64_t lineno,
                       const int *col, const char *dir, tsct_error *err)
{
    char *field[64];
    const int n = split(line, field, 64);
    int need = 0;
    for (int k = 0; k < COL_COUNT; k++)
        if (col[k] >= need)
            need = col[k] + 1;
    if (n < need)
        return tsct_error_set(err, TSCT_ERR_FORMAT, path, "line", lineno,
                              "%d fields, the header names %d", n, need);
    double *v[4] = {t->angle, t->translation, t->time, t->slice};
    for (int k = 0; k < 4; k++) {
        if (col[k + 1] < 0)
            continue;
        const char *s = field[col[k + 1]];
        char *end;
        errno = 0;
        const double x = strtod(s, &end);
        if (end == s || *end || !isfinite(x))
            return tsct_error_set(err, TSCT_ERR_FORMAT, path, "line", lineno,
                                  "column %s: expected a finite number, found '%.40s'",
                                  col_names[k + 1], s);
        v[k][t->n] = x;
    }
    const char *f = field[col[COL_FILE]];
    if (!f[0])
        return tsct_error_set(err, TSCT_ERR_FORMAT, path, "line", lineno, "no file name");
    const size_t size = strlen(dir) + strlen(f) + 2;
    if (!(t->file[t->n] = malloc(size)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "file name");
    if (f[0] == '/' || !dir[0])
        snprintf(t->file[t->n], size, "%s", f);
    else
        snprintf(t->file[t->n], size, "%s/%s", dir, f);
    t->n++;
    return TSCT_OK;
}

tsct_status tsct_pattern_table_read(const char *path, tsct_pattern_table **out, tsct_error *err)
{
    *out = NULL;
    tsct_publish_note_input(path);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return tsct_error_set(err, errno == ENOENT ? TSCT_ERR_NOT_FOUND : TSCT_ERR_IO, path,
                              NULL, -1, "cannot open: %s", strerror(errno));
    tsct_pattern_table *t = calloc(1, sizeof *t);
    char dir[TSCT_PATH_MAX] = "", *line = malloc(TSCT_PATTERN_TABLE_LINE_MAX + 2);
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (slash == path)
        snprintf(dir, sizeof dir, "/");
    tsct_status st = t && line ? TSCT_OK
                               : tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "table");
    int col[COL_COUNT], have_header = 0;
    int64_t cap = 0, lineno = 0;
    while (st == TSCT_OK && fgets(line, TSCT_PATTERN_TABLE_LINE_MAX + 2, fp)) {
        lineno++;
        const size_t l = strlen(line);
        if (l > TSCT_PATTERN_TABLE_LINE_MAX) {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, path, "line", lineno,
                                "longer than %d bytes (TSCT_PATTERN_TABLE_LINE_MAX)",
                                TSCT_PATTERN_TABLE_LINE_MAX);
            break;
        }
        const char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        if (!have_header) {
            st = header(line, path, lineno, col, err);
            have_header = 1;
            continue;
        }
        st = grow(t, &cap, col, path, err);
        if (st == TSCT_OK)
            st = row(t, line, path, lineno, col, dir, err);
    }
    if (st == TSCT_OK && ferror(fp))
        st = tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "read error");
    if (st == TSCT_OK && t->n == 0)
        st = tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1,
                            have_header ? "no rows after the header"
                                        : "empty: expected a header (file, angle, translation, "
                                          "...) and one row per pattern");
    fclose(fp);
    free(line);
    if (st != TSCT_OK) {
        tsct_pattern_table_destroy(t);
        return st;
    }
    *out = t;
    return TSCT_OK;
}
