/* echem.c - potentiostat records: generic CSV and BioLogic EC-Lab .mpt readers, charge and
 * capacity by the trapezoid rule, half cycles, dQ/dV and tomogram windows, and the one reader
 * of a container's /entry/echem (see include/tsct/echem.h).
 *
 * EC-Lab text exports start with "EC-Lab ASCII FILE" and a line "Nb header lines : N"; line N
 * is the tab-separated column header ("time/s", "Ewe/V", "<I>/mA", ...), the data follow, and
 * French-locale exports write decimal commas. Generic CSV files have one header row; the
 * separator is whichever of comma, semicolon and tab the header holds most of.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tsct/echem.h"
#include "core/core_internal.h"
#include "tsct/publish.h"

void tsct_echem_destroy(tsct_echem *e)
{
    if (!e)
        return;
    free(e->time_s);
    free(e->voltage);
    free(e->current_ma);
    free(e->charge_mah);
    free(e->capacity_mah);
    free(e->half_cycle);
    free(e);
}

static tsct_echem *alloc_record(int64_t n)
{
    tsct_echem *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    size_t b = (size_t)(n > 0 ? n : 1) * sizeof(double);
    e->time_s = malloc(b);
    e->voltage = malloc(b);
    e->current_ma = malloc(b);
    e->charge_mah = malloc(b);
    e->capacity_mah = malloc(b);
    e->half_cycle = malloc((size_t)(n > 0 ? n : 1) * sizeof *e->half_cycle);
    if (!e->time_s || !e->voltage || !e->current_ma || !e->charge_mah || !e->capacity_mah ||
        !e->half_cycle) {
        tsct_echem_destroy(e);
        return NULL;
    }
    e->n = n;
    return e;
}

/* Charge (trapezoid rule, mA s -> mAh), half cycles (a new one where the current's sign
 * differs from the last non-zero sign) and capacity within the half cycle. */
static void integrate(tsct_echem *e)
{
    double q = 0, q0 = 0;
    int sign = 0;
    int64_t hc = 0;
    for (int64_t k = 0; k < e->n; k++) {
        if (k > 0)
            q += 0.5 * (e->current_ma[k] + e->current_ma[k - 1]) *
                 (e->time_s[k] - e->time_s[k - 1]) / 3600.0;
        int s = e->current_ma[k] > 0 ? 1 : e->current_ma[k] < 0 ? -1 : 0;
        if (s != 0 && sign != 0 && s != sign) {
            hc++;
            q0 = k > 0 ? e->charge_mah[k - 1] : 0;
        }
        if (s != 0)
            sign = s;
        e->charge_mah[k] = q;
        e->half_cycle[k] = hc;
        e->capacity_mah[k] = fabs(q - q0);
    }
}

static tsct_status check_times(const tsct_echem *e, const char *file, tsct_error *err)
{
    if (e->n < 2)
        return tsct_error_set(err, TSCT_ERR_FORMAT, file, "records", -1,
                              "%lld data rows, at least 2 needed", (long long)e->n);
    for (int64_t k = 0; k < e->n; k++) {
        if (!isfinite(e->time_s[k]) || !isfinite(e->voltage[k]) || !isfinite(e->current_ma[k]))
            return tsct_error_set(err, TSCT_ERR_FORMAT, file, "records", k,
                                  "time, voltage and current must be finite numbers");
        if (k > 0 && e->time_s[k] < e->time_s[k - 1])
            return tsct_error_set(err, TSCT_ERR_FORMAT, file, "time", k,
                                  "time goes backwards (%g s after %g s)", e->time_s[k],
                                  e->time_s[k - 1]);
    }
    return TSCT_OK;
}

tsct_status tsct_echem_from_arrays(const double *time_s, const double *voltage,
                                   const double *current_ma, int64_t n, tsct_echem **out,
                                   tsct_error *err)
{
    *out = NULL;
    tsct_echem *e = alloc_record(n);
    if (!e)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "echem", -1, "%lld records",
                              (long long)n);
    memcpy(e->time_s, time_s, (size_t)n * sizeof(double));
    memcpy(e->voltage, voltage, (size_t)n * sizeof(double));
    memcpy(e->current_ma, current_ma, (size_t)n * sizeof(double));
    tsct_status st = check_times(e, NULL, err);
    if (st != TSCT_OK) {
        tsct_echem_destroy(e);
        return st;
    }
    integrate(e);
    *out = e;
    return TSCT_OK;
}

/* ---- reading ------------------------------------------------------------------------------ */

static char *read_all(const char *path, size_t *size, tsct_error *err)
{
    size_t n = 0;
    char *buf = NULL;
    if (tsct__read_text(path, &buf, &n, err) != TSCT_OK)
        return NULL;
    /* A UTF-8 byte-order mark (spreadsheet exports) is not part of the first column name. */
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        memmove(buf, buf + 3, n - 2);
        n -= 3;
    }
    *size = n;
    return buf;
}

/* Split a line in place at sep; returns the number of fields (at most max). */
static int split(char *line, char sep, char **field, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        while (*p == ' ' || *p == '"')
            p++;
        field[n++] = p;
        char *e = strchr(p, sep);
        char *end = e ? e : p + strlen(p);
        char *t = end;
        while (t > p && (t[-1] == ' ' || t[-1] == '"' || t[-1] == '\r'))
            t--;
        *t = '\0';
        if (!e)
            break;
        p = e + 1;
    }
    return n;
}

static int find_column(char **field, int n, const char *name)
{
    size_t len = strlen(name);
    for (int i = 0; i < n; i++)
        if (strncasecmp(field[i], name, len) == 0)
            return i;
    return -1;
}

static int find_any(char **field, int n, const char *given, const char *const *defaults)
{
    if (given)
        return find_column(field, n, given);
    for (int d = 0; defaults[d]; d++) {
        int i = find_column(field, n, defaults[d]);
        if (i >= 0)
            return i;
    }
    return -1;
}

static int parse_number(char *s, int decimal_comma, double *v)
{
    if (decimal_comma)
        for (char *p = s; *p; p++)
            if (*p == ',')
                *p = '.';
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    while (*end == ' ')
        end++;
    return s != end && *end == '\0' && errno == 0;
}

#define MAX_FIELDS 256

tsct_status tsct_echem_read(const char *path, const tsct_echem_columns *columns,
                            tsct_echem **out, tsct_error *err)
{
    static const tsct_echem_columns defaults = TSCT_ECHEM_COLUMNS_DEFAULT;
    const tsct_echem_columns *cols = columns ? columns : &defaults;
    static const char *const time_names[] = {"time", NULL};
    static const char *const volt_names[] = {"Ewe", "voltage", "potential", "E/", "U/", NULL};
    static const char *const curr_names[] = {"<I>", "I/", "current", NULL};
    *out = NULL;
    size_t size = 0;
    char *text = read_all(path, &size, err);
    if (!text)
        return err ? err->status : TSCT_ERR_IO;

    /* Lines, in place. */
    int64_t nlines = 1;
    for (size_t i = 0; i < size; i++)
        nlines += text[i] == '\n';
    char **line = malloc((size_t)nlines * sizeof *line);
    tsct_status st = TSCT_OK;
    if (!line) {
        free(text);
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "lines");
    }
    int64_t m = 0;
    for (char *p = text; p && m < nlines;) {
        line[m++] = p;
        char *nl = strchr(p, '\n');
        if (nl) {
            *nl = '\0';
            p = nl + 1;
        } else {
            p = NULL;
        }
    }
    int64_t header = -1;
    char sep = ',';
    int mpt = strncmp(text, "EC-Lab ASCII FILE", 17) == 0 || strncmp(text, "BT-Lab ASCII FILE", 17) == 0;
    if (mpt) {
        for (int64_t i = 0; i < m && i < 10; i++) {
            long nh;
            if (sscanf(line[i], "Nb header lines : %ld", &nh) == 1) {
                header = nh - 1;
                break;
            }
        }
        if (header < 0 || header >= m)
            st = tsct_error_set(err, TSCT_ERR_FORMAT, path, "Nb header lines", -1,
                                "an EC-Lab file must say how many header lines it has");
        sep = '\t';
    } else {
        for (int64_t i = 0; i < m; i++) {
            const char *p = line[i];
            while (isspace((unsigned char)*p))
                p++;
            if (*p && *p != '#') {
                header = i;
                break;
            }
        }
        if (header < 0) {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1, "no header row");
        } else {
            int cc = 0, cs = 0, ct = 0;
            for (const char *p = line[header]; *p; p++)
                cc += *p == ',', cs += *p == ';', ct += *p == '\t';
            sep = ct > cc && ct >= cs ? '\t' : cs > cc ? ';' : ',';
        }
    }
    char *field[MAX_FIELDS];
    int nf = 0, it = -1, iv = -1, ic = -1;
    double tscale = cols->time_scale;
    if (st == TSCT_OK) {
        char hdr[4096];
        snprintf(hdr, sizeof hdr, "%s", line[header]);
        nf = split(line[header], sep, field, MAX_FIELDS);
        it = find_any(field, nf, cols->time, time_names);
        iv = find_any(field, nf, cols->voltage, volt_names);
        ic = find_any(field, nf, cols->current, curr_names);
        const char *missing = it < 0 ? "time" : iv < 0 ? "voltage" : ic < 0 ? "current" : NULL;
        if (missing) {
            const char *given = it < 0 ? cols->time : iv < 0 ? cols->voltage : cols->current;
            st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, "columns", header + 1,
                                "no %s column%s%s%s; the header has: %s", missing,
                                given ? " named \"" : "", given ? given : "", given ? "\"" : "",
                                hdr);
        } else if (tscale <= 0) {
            const char *u = strchr(field[it], '/');
            tscale = u && strncmp(u, "/min", 4) == 0 ? 60.0 : u && strncmp(u, "/h", 2) == 0 ? 3600.0 : 1.0;
        }
    }
    tsct_echem *e = NULL;
    if (st == TSCT_OK && !(e = alloc_record(m - header - 1)))
        st = tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "records");
    int64_t n = 0;
    int decimal_comma = sep != ',';
    for (int64_t i = header + 1; st == TSCT_OK && i < m; i++) {
        const char *p = line[i];
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            continue;
        char *f[MAX_FIELDS];
        int k = split(line[i], sep, f, MAX_FIELDS);
        int need = it > iv ? (it > ic ? it : ic) : (iv > ic ? iv : ic);
        double tv, vv, cv;
        if (k <= need || !parse_number(f[it], decimal_comma, &tv) ||
            !parse_number(f[iv], decimal_comma, &vv) || !parse_number(f[ic], decimal_comma, &cv)) {
            st = tsct_error_set(err, TSCT_ERR_FORMAT, path, "line", i + 1,
                                "expected numbers in the time, voltage and current columns");
            break;
        }
        e->time_s[n] = tv * tscale;
        e->voltage[n] = vv;
        e->current_ma[n] = cv;
        n++;
    }
    if (e)
        e->n = n;
    if (st == TSCT_OK)
        st = check_times(e, path, err);
    if (st == TSCT_OK) {
        integrate(e);
        *out = e;
    } else {
        tsct_echem_destroy(e);
    }
    free(line);
    free(text);
    return st;
}

tsct_status tsct_echem_write_csv(const tsct_echem *e, const char *path, tsct_error *err)
{
    tsct_publish pub;
    FILE *f = NULL;
    TSCT_TRY(tsct_publish_fopen(&pub, path, &f, err));
    fprintf(f, "time_s,voltage_V,current_mA,capacity_mAh\n");
    for (int64_t k = 0; k < e->n; k++)
        fprintf(f, "%.6f,%.6f,%.9g,%.9g\n", e->time_s[k], e->voltage[k], e->current_ma[k],
                e->capacity_mah[k]);
    return tsct_publish_fclose(&pub, f, err);
}

/* ---- analysis ----------------------------------------------------------------------------- */

int64_t tsct_echem_dqdv(const tsct_echem *e, double dv, double *voltage, double *dqdv,
                        int64_t *half_cycle, int64_t max_out)
{
    if (!(dv > 0) || e->n < 2)
        return 0;
    double vmin = INFINITY, vmax = -INFINITY;
    for (int64_t k = 0; k < e->n; k++) {
        vmin = fmin(vmin, e->voltage[k]);
        vmax = fmax(vmax, e->voltage[k]);
    }
    /* the voltages come from a file: bound the bins before taking memory */
    double span = (vmax - vmin) / dv;
    if (!(span < (double)TSCT_ECHEM_DQDV_BINS_MAX))
        return -1;
    int64_t nb = (int64_t)floor(span) + 1;
    double *bin = calloc((size_t)nb, sizeof *bin);
    if (!bin)
        return -1;
    int64_t out = 0;
    for (int64_t k = 1; k <= e->n; k++) {
        int end = k == e->n || e->half_cycle[k] != e->half_cycle[k - 1];
        if (!end) {
            double dq = fabs(e->charge_mah[k] - e->charge_mah[k - 1]);
            double vm = 0.5 * (e->voltage[k] + e->voltage[k - 1]);
            int64_t b = (int64_t)floor((vm - vmin) / dv);
            if (b >= nb)
                b = nb - 1;
            bin[b] += dq;
            continue;
        }
        for (int64_t b = 0; b < nb && out < max_out; b++) {
            if (bin[b] == 0)
                continue;
            voltage[out] = vmin + (b + 0.5) * dv;
            dqdv[out] = bin[b] / dv;
            half_cycle[out] = e->half_cycle[k - 1];
            out++;
        }
        memset(bin, 0, (size_t)nb * sizeof *bin);
    }
    free(bin);
    return out;
}

tsct_status tsct_echem_window(const tsct_echem *e, double t0, double t1, double *capacity_mah,
                              double *voltage, int64_t *half_cycle, tsct_error *err)
{
    if (!(t1 > t0) || t0 < e->time_s[0] || t1 > e->time_s[e->n - 1])
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "window", -1,
                              "%g..%g s is not inside the record %g..%g s", t0, t1,
                              e->time_s[0], e->time_s[e->n - 1]);
    double sq = 0, sv = 0;
    for (int64_t k = 1; k < e->n; k++) {
        double a = fmax(e->time_s[k - 1], t0), b = fmin(e->time_s[k], t1);
        double h = e->time_s[k] - e->time_s[k - 1];
        if (!(b > a) || !(h > 0))
            continue;
        /* Linear between records: the mean over [a, b] is the value at its midpoint. */
        double u = (0.5 * (a + b) - e->time_s[k - 1]) / h;
        double qa = e->capacity_mah[k - 1], qb = e->capacity_mah[k];
        if (e->half_cycle[k] != e->half_cycle[k - 1])
            qa = 0;  /* capacity restarts with the new half cycle */
        sq += (b - a) * ((1 - u) * qa + u * qb);
        sv += (b - a) * ((1 - u) * e->voltage[k - 1] + u * e->voltage[k]);
    }
    *capacity_mah = sq / (t1 - t0);
    *voltage = sv / (t1 - t0);
    if (half_cycle) {
        double mid = 0.5 * (t0 + t1);
        int64_t k = 0;
        while (k < e->n - 1 && e->time_s[k + 1] <= mid)
            k++;
        *half_cycle = e->half_cycle[k];
    }
    return TSCT_OK;
}

/* ---- /entry/echem of a container ------------------------------------------------------------ */

void tsct_echem_stored_release(tsct_echem_stored *s)
{
    if (!s)
        return;
    free(s->time), free(s->voltage), free(s->current), free(s->capacity);
    free(s->tomogram_start), free(s->tomogram_end), free(s->tomogram_capacity);
    free(s->tomogram_voltage), free(s->tomogram_half_cycle);
    memset(s, 0, sizeof *s);
}

tsct_status tsct_echem_stored_read(tsct_container *c, tsct_echem_stored *out, tsct_error *err)
{
    memset(out, 0, sizeof *out);
    if (!tsct_container_exists(c, TSCT_PATH_ECHEM))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, NULL, TSCT_PATH_ECHEM, -1,
                              "no electrochemistry (tsct echem writes it)");
    const struct {
        const char *path;
        double **v;
        int64_t *n; /* the group's length */
    } vec[] = {
        {TSCT_PATH_ECHEM_TIME, &out->time, &out->n},
        {TSCT_PATH_ECHEM_VOLTAGE, &out->voltage, &out->n},
        {TSCT_PATH_ECHEM_CURRENT, &out->current, &out->n},
        {TSCT_PATH_ECHEM_CAPACITY, &out->capacity, &out->n},
        {TSCT_PATH_ECHEM_TOMOGRAM_START, &out->tomogram_start, &out->nt},
        {TSCT_PATH_ECHEM_TOMOGRAM_END, &out->tomogram_end, &out->nt},
        {TSCT_PATH_ECHEM_TOMOGRAM_CAPACITY, &out->tomogram_capacity, &out->nt},
        {TSCT_PATH_ECHEM_TOMOGRAM_VOLTAGE, &out->tomogram_voltage, &out->nt},
        {TSCT_PATH_ECHEM_TOMOGRAM_HALF_CYCLE, &out->tomogram_half_cycle, &out->nt},
    };
    int seen[2] = {0, 0}; /* a length of the group is known */
    tsct_status st = TSCT_OK;
    for (size_t i = 0; st == TSCT_OK && i < sizeof vec / sizeof vec[0]; i++) {
        if (!tsct_container_exists(c, vec[i].path))
            continue;
        int64_t n = 0;
        const int g = vec[i].n == &out->nt;
        st = tsct_container_read_vector(c, vec[i].path, vec[i].v, &n, err);
        if (st == TSCT_OK && seen[g] && n != *vec[i].n)
            st = tsct_error_set(err, TSCT_ERR_SHAPE, NULL, vec[i].path, -1,
                                "%lld values, the other %s vectors have %lld", (long long)n,
                                g ? "tomogram_*" : "record", (long long)*vec[i].n);
        *vec[i].n = n;
        seen[g] = 1;
    }
    if (st != TSCT_OK)
        tsct_echem_stored_release(out);
    return st;
}
