/* ini.c - INI configuration text into entries, and typed values (see include/tsct/ini.h).
 *
 * The parser works on a buffer with an explicit length, so a NUL byte inside a line is seen
 * (and refused) instead of silently ending the line, and the same code serves files and the
 * fuzzer. Every bound is checked before a byte is stored. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/ini.h"

void tsct_ini_release(tsct_ini *ini)
{
    if (!ini)
        return;
    free(ini->e);
    ini->e = NULL;
    ini->n = ini->cap = 0;
}

static int key_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

/* [b, e) without leading and trailing blanks. */
static void strip(const char **b, const char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t'))
        (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

/* Parse one line [b, e) (no newline) into ini; section is the current section. */
static tsct_status parse_line(tsct_ini *ini, const char *b, const char *e, int64_t line,
                              char *section, tsct_error *err)
{
    for (const char *p = b; p < e; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\r')
            return tsct_error_set(err, TSCT_ERR_FORMAT, ini->path, "line", line,
                                  "a control byte (0x%02x) in a text file",
                                  (unsigned)(unsigned char)*p);
    strip(&b, &e);
    if (b == e || *b == '#' || *b == ';')
        return TSCT_OK;
    if (*b == '[') {
        const char *close = memchr(b, ']', (size_t)(e - b));
        const char *nb = b + 1, *ne = close ? close : b + 1;
        strip(&nb, &ne);
        int ok = close && ne > nb && ne - nb < TSCT_INI_SECTION_MAX;
        for (const char *p = nb; ok && p < ne; p++)
            ok = key_char((unsigned char)*p);
        if (!ok)
            return tsct_error_set(err, TSCT_ERR_FORMAT, ini->path, "section", line,
                                  "expected [name] (letters, digits, _ - ., at most %d "
                                  "characters)",
                                  TSCT_INI_SECTION_MAX - 1);
        memcpy(section, nb, (size_t)(ne - nb));
        section[ne - nb] = '\0';
        return TSCT_OK;
    }
    const char *eq = memchr(b, '=', (size_t)(e - b));
    if (!eq)
        return tsct_error_set(err, TSCT_ERR_FORMAT, ini->path, "line", line,
                              "expected key = value");
    if (!section[0])
        return tsct_error_set(err, TSCT_ERR_FORMAT, ini->path, "line", line,
                              "key = value outside any [section]");
    const char *kb = b, *ke = eq, *vb = eq + 1, *ve = e;
    strip(&kb, &ke);
    int ok = ke > kb && ke - kb < TSCT_INI_KEY_MAX;
    for (const char *p = kb; ok && p < ke; p++)
        ok = key_char((unsigned char)*p);
    if (!ok)
        return tsct_error_set(err, TSCT_ERR_FORMAT, ini->path, "line", line,
                              "expected a key of letters, digits, _ - . (at most %d characters) "
                              "before '='",
                              TSCT_INI_KEY_MAX - 1);
    /* A trailing comment starts at " #" (or a tab before #). */
    for (const char *p = vb; p + 1 < ve; p++)
        if ((*p == ' ' || *p == '\t') && p[1] == '#') {
            ve = p;
            break;
        }
    strip(&vb, &ve);
    if (ve - vb >= TSCT_INI_VALUE_MAX)
        return tsct_error_set(err, TSCT_ERR_FORMAT, ini->path, "line", line,
                              "value longer than %d bytes",
                              TSCT_INI_VALUE_MAX - 1);
    if (ini->n == ini->cap) {
        if (ini->n >= TSCT_INI_ENTRIES_MAX)
            return tsct_error_set(err, TSCT_ERR_FORMAT, ini->path, "line", line,
                                  "more than %d entries", TSCT_INI_ENTRIES_MAX);
        int64_t cap = ini->cap ? 2 * ini->cap : 32;
        tsct_ini_entry *n = realloc(ini->e, (size_t)cap * sizeof *n);
        if (!n)
            return tsct_error_set(err, TSCT_ERR_NOMEM, ini->path, NULL, -1, "configuration");
        ini->e = n;
        ini->cap = cap;
    }
    tsct_ini_entry *en = &ini->e[ini->n++];
    memset(en, 0, sizeof *en);
    strcpy(en->section, section);
    memcpy(en->key, kb, (size_t)(ke - kb));
    memcpy(en->value, vb, (size_t)(ve - vb));
    en->line = line;
    return TSCT_OK;
}

static void set_names(tsct_ini *ini, const char *name)
{
    snprintf(ini->path, sizeof ini->path, "%s", name ? name : "");
    snprintf(ini->dir, sizeof ini->dir, "%s", ini->path);
    char *slash = strrchr(ini->dir, '/');
    if (slash)
        slash[slash == ini->dir ? 1 : 0] = '\0';
    else
        snprintf(ini->dir, sizeof ini->dir, ".");
}

tsct_status tsct_ini_parse(tsct_ini *ini, const char *name, const char *text, size_t len,
                           tsct_error *err)
{
    memset(ini, 0, sizeof *ini);
    set_names(ini, name);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    char section[TSCT_INI_SECTION_MAX] = "";
    int64_t line = 0;
    size_t pos = 0;
    tsct_status st = TSCT_OK;
    while (st == TSCT_OK && pos < len) {
        line++;
        const char *b = text + pos;
        const char *nl = memchr(b, '\n', len - pos);
        const char *e = nl ? nl : text + len;
        if (e - b > TSCT_INI_LINE_MAX)
            st = tsct_error_set(err, TSCT_ERR_FORMAT, ini->path, "line", line,
                                "longer than %d bytes",
                                TSCT_INI_LINE_MAX);
        else
            st = parse_line(ini, b, e, line, section, err);
        pos = (size_t)(e - text) + (nl ? 1 : 0);
    }
    if (st != TSCT_OK)
        tsct_ini_release(ini);
    return st;
}

tsct_status tsct_ini_read(tsct_ini *ini, const char *path, tsct_error *err)
{
    memset(ini, 0, sizeof *ini);
    FILE *f = fopen(path, "rb");
    if (!f)
        return tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "cannot open: %s",
                              strerror(errno));
    /* Configuration files are small; a bound keeps a wrong path (a frame stack) from being
     * read whole. */
    const size_t max = (size_t)TSCT_INI_LINE_MAX * 4096;
    size_t len = 0, cap = 0;
    char *buf = NULL;
    tsct_status st = TSCT_OK;
    for (;;) {
        if (len == cap) {
            size_t nc = cap ? 2 * cap : 8192;
            char *nb = nc <= max + 1 ? realloc(buf, nc) : NULL;
            if (!nb) {
                st = cap >= max ? tsct_error_set(err, TSCT_ERR_FORMAT, path, NULL, -1,
                                                 "larger than %zu bytes: not a configuration "
                                                 "file",
                                                 max)
                                : tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1,
                                                 "configuration text");
                break;
            }
            buf = nb;
            cap = nc;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                st = tsct_error_set(err, TSCT_ERR_IO, path, NULL, -1, "read failed");
            break;
        }
    }
    fclose(f);
    if (st == TSCT_OK)
        st = tsct_ini_parse(ini, path, buf, len, err);
    free(buf);
    return st;
}

const tsct_ini_entry *tsct_ini_find(const tsct_ini *ini, const char *section, const char *key)
{
    const tsct_ini_entry *hit = NULL;
    for (int64_t i = 0; i < ini->n; i++)
        if (strcmp(ini->e[i].section, section) == 0 && strcmp(ini->e[i].key, key) == 0)
            hit = &ini->e[i];
    return hit;
}

const char *tsct_ini_get(const tsct_ini *ini, const char *section, const char *key)
{
    const tsct_ini_entry *e = tsct_ini_find(ini, section, key);
    return e ? e->value : NULL;
}

int tsct_ini_has_section(const tsct_ini *ini, const char *section)
{
    for (int64_t i = 0; i < ini->n; i++)
        if (strcmp(ini->e[i].section, section) == 0)
            return 1;
    return 0;
}

/* ---- typed values -------------------------------------------------------------------------- */

tsct_status tsct_ini_error(const tsct_ini *ini, const tsct_ini_entry *e, tsct_status status,
                           tsct_error *err, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return tsct_error_set(err, status, ini->path, e->key, e->line,
                          "line %lld: [%s] %s = '%s': %s", (long long)e->line, e->section, e->key,
                          e->value, detail);
}

tsct_status tsct_ini_value_bool(const tsct_ini *ini, const tsct_ini_entry *e, int *out,
                                tsct_error *err)
{
    static const char *const yes[] = {"yes", "true", "on", "1", NULL};
    static const char *const no[] = {"no", "false", "off", "0", NULL};
    for (int i = 0; yes[i]; i++) {
        if (strcmp(e->value, yes[i]) == 0) {
            *out = 1;
            return TSCT_OK;
        }
        if (strcmp(e->value, no[i]) == 0) {
            *out = 0;
            return TSCT_OK;
        }
    }
    return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                          "expected yes or no (true/false, on/off, 1/0)");
}

tsct_status tsct_ini_value_int(const tsct_ini *ini, const tsct_ini_entry *e, int64_t min,
                               int64_t max, int64_t *out, tsct_error *err)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(e->value, &end, 10);
    if (!e->value[0] || *end || errno == ERANGE || v < min || v > max)
        return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                              "expected a whole number from %lld to %lld", (long long)min,
                              (long long)max);
    *out = v;
    return TSCT_OK;
}

tsct_status tsct_ini_value_double(const tsct_ini *ini, const tsct_ini_entry *e, double min,
                                  double max, double *out, tsct_error *err)
{
    char *end = NULL;
    double v = strtod(e->value, &end);
    if (!e->value[0] || *end || !isfinite(v) || v < min || v > max)
        return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err, "expected a number from %g to %g",
                              min, max);
    *out = v;
    return TSCT_OK;
}

tsct_status tsct_ini_value_enum(const tsct_ini *ini, const tsct_ini_entry *e,
                                const char *const *allowed, int *out, tsct_error *err)
{
    char list[400] = "";
    size_t used = 0;
    for (int i = 0; allowed[i]; i++) {
        if (strcmp(e->value, allowed[i]) == 0) {
            *out = i;
            return TSCT_OK;
        }
        int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", allowed[i]);
        if (n > 0 && used + (size_t)n < sizeof list)
            used += (size_t)n;
    }
    return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err, "expected one of: %s", list);
}
