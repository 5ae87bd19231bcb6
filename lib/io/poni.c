/* poni.c - pyFAI PONI files: reader (versions 1, 2, 2.1), writer (2.1), detector table.
 *
 * The reader follows pyFAI's PoniFile.read_from_file / read_from_dict (pyFAI/io/ponifile.py):
 * first every "key: value" line is put into one dictionary (keys lower-cased, later lines
 * replacing earlier ones), then the dictionary is interpreted according to poni_version.
 * Doing it in two passes, as pyFAI does, is what makes multi-block files (several calibrations
 * appended to one file) come out as the last value of every key.
 *
 * Detector_config is JSON; a small recursive-descent scanner reads the one object (numbers,
 * null, arrays of integers, and skips any other value) with a nesting limit, so hostile input
 * cannot exhaust the stack. Every number goes through strtod on a bounded copy and must be
 * consumed whole. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/image_internal.h"
#include "tsct/poni.h"
#include "tsct/publish.h"

/* ---- detector table (pyFAI 0.21.3, pyFAI/detectors/_dectris.py and _others.py) ---------- */

typedef struct det_def {
    const char *name;       /* pyFAI class name */
    const char *aliases;    /* '|'-separated pyFAI aliases */
    double pixel;           /* default pixel size, m (square pixels) */
    int64_t max_shape[2];   /* unbinned shape */
    int binning;            /* 0: shape = max_shape; 1: Perkin rule; 2: Pixium rule */
    int modules;            /* module layout (pyFAI's calc_mask), an index into layouts[] */
} det_def;

/* Module layouts of pyFAI 0.21.3's Dectris classes: module size (rows, columns), gaps between
 * modules, and the extra columns in the middle of each module that CdTe Pilatus (3) and
 * Eiger2 CdTe (2) detectors mask, starting `middle_from` columns before the module's centre. */
static const struct {
    int64_t module[2], gap[2];
    int middle, middle_from;
} layouts[] = {
    {{0, 0}, {0, 0}, 0, 0},          /* 0: no modules */
    {{195, 487}, {17, 7}, 0, 0},     /* 1: Pilatus */
    {{195, 487}, {17, 7}, 3, 1},     /* 2: Pilatus CdTe */
    {{514, 1030}, {37, 10}, 0, 0},   /* 3: Eiger */
    {{512, 1028}, {38, 12}, 0, 0},   /* 4: Eiger2 */
    {{512, 1028}, {38, 12}, 2, 1},   /* 5: Eiger2 CdTe */
};

static const det_def detectors[] = {
    {"Pilatus100k", "Pilatus 100k", 172e-6, {195, 487}, 0, 1},
    {"Pilatus200k", "Pilatus 200k", 172e-6, {407, 487}, 0, 1},
    {"Pilatus300k", "Pilatus 300k", 172e-6, {619, 487}, 0, 1},
    {"Pilatus300kw", "Pilatus 300kw", 172e-6, {195, 1475}, 0, 1},
    {"Pilatus1M", "Pilatus 1M", 172e-6, {1043, 981}, 0, 1},
    {"Pilatus2M", "Pilatus 2M", 172e-6, {1679, 1475}, 0, 1},
    {"Pilatus6M", "Pilatus 6M", 172e-6, {2527, 2463}, 0, 1},
    {"PilatusCdTe300k", "Pilatus CdTe 300k|Pilatus 300k CdTe", 172e-6, {619, 487}, 0, 2},
    {"PilatusCdTe300kw", "Pilatus CdTe 300kw|Pilatus 300kw CdTe", 172e-6, {195, 1475}, 0, 2},
    {"PilatusCdTe900kw", "Pilatus CdTe 900kw|Pilatus 900kw CdTe", 172e-6, {195, 4439}, 0, 2},
    {"PilatusCdTe1M", "Pilatus CdTe 1M|Pilatus 1M CdTe", 172e-6, {1043, 981}, 0, 2},
    {"PilatusCdTe2M", "Pilatus CdTe 2M|Pilatus 2M CdTe", 172e-6, {1679, 1475}, 0, 2},
    {"Eiger500k", "Eiger 500k", 75e-6, {514, 1030}, 0, 3},
    {"Eiger1M", "Eiger 1M", 75e-6, {1065, 1030}, 0, 3},
    {"Eiger4M", "Eiger 4M", 75e-6, {2167, 2070}, 0, 3},
    {"Eiger9M", "Eiger 9M", 75e-6, {3269, 3110}, 0, 3},
    {"Eiger16M", "Eiger 16M", 75e-6, {4371, 4150}, 0, 3},
    {"Eiger2_500k", "Eiger2 500k", 75e-6, {512, 1028}, 0, 4},
    {"Eiger2_1M", "Eiger2 1M", 75e-6, {1062, 1028}, 0, 4},
    {"Eiger2_4M", "Eiger2 4M", 75e-6, {2162, 2068}, 0, 4},
    {"Eiger2_9M", "Eiger2 9M", 75e-6, {3262, 3108}, 0, 4},
    {"Eiger2_16M", "Eiger2 16M", 75e-6, {4362, 4148}, 0, 4},
    {"Eiger2CdTe_500k", "Eiger2 CdTe 500k", 75e-6, {512, 1028}, 0, 5},
    {"Eiger2CdTe_1M", "Eiger2 CdTe 1M", 75e-6, {1062, 1028}, 0, 5},
    {"Eiger2CdTe_4M", "Eiger2 CdTe 4M", 75e-6, {2162, 2068}, 0, 5},
    {"Eiger2CdTe_9M", "Eiger2 CdTe 9M", 75e-6, {3262, 3108}, 0, 5},
    {"Eiger2CdTe_16M", "Eiger2 CdTe 16M", 75e-6, {4362, 4148}, 0, 5},
    /* Perkin: 200 um default = 2 x 2 binning of the 4096 x 4096 100 um panel */
    {"Perkin", "Perkin detector|Perkin Elmer", 200e-6, {4096, 4096}, 1, 0},
    /* Pixium 4700: 308 um default = 2 x 2 binning of the 1910 x 2480 154 um panel */
    {"Pixium", "Pixium 4700|Pixium 4700 detector|Thales Electronics", 308e-6, {1910, 2480}, 2, 0},
    {"Dexela2923", "Dexela 2923", 75e-6, {3888, 3072}, 0, 0},
};

/* Compare names ignoring case, spaces, underscores and hyphens ("Pilatus 300K-W"). */
static int name_eq(const char *a, size_t al, const char *b, size_t bl)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < al && (a[i] == ' ' || a[i] == '_' || a[i] == '-'))
            i++;
        while (j < bl && (b[j] == ' ' || b[j] == '_' || b[j] == '-'))
            j++;
        if (i == al || j == bl)
            return i == al && j == bl;
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[j]))
            return 0;
        i++;
        j++;
    }
}

static const det_def *det_lookup(const char *name)
{
    size_t n = strlen(name);
    for (size_t k = 0; k < sizeof detectors / sizeof detectors[0]; k++) {
        const det_def *d = &detectors[k];
        if (name_eq(name, n, d->name, strlen(d->name)))
            return d;
        const char *a = d->aliases;
        while (*a) {
            const char *bar = strchr(a, '|');
            size_t al = bar ? (size_t)(bar - a) : strlen(a);
            if (name_eq(name, n, a, al))
                return d;
            a += al + (bar ? 1 : 0);
        }
    }
    return NULL;
}

/* Shape at the given pixel sizes (pyFAI's Perkin / Pixium constructors bin the panel). A
 * binning outside 1 .. the panel size leaves the shape unknown (0, 0). */
static int64_t binned(int64_t n, double b)
{
    return b >= 1 && b <= (double)n ? n / (int64_t)b : 0;
}

static void det_shape(const det_def *d, double p1, double p2, int64_t shape[2])
{
    shape[0] = d->max_shape[0];
    shape[1] = d->max_shape[1];
    if (d->binning == 1) {
        if (p1 == 200e-6 && p2 == 200e-6) {
            shape[0] = 2048;
            shape[1] = 2048;
        } else {   /* pyFAI: int(2 * pixel / 200e-6) */
            shape[0] = binned(d->max_shape[0], floor(2 * p1 / 200e-6));
            shape[1] = binned(d->max_shape[1], floor(2 * p2 / 200e-6));
        }
    } else if (d->binning == 2) {   /* pyFAI: int(round(pixel / 154e-6)) */
        shape[0] = binned(d->max_shape[0], nearbyint(p1 / 154e-6));
        shape[1] = binned(d->max_shape[1], nearbyint(p2 / 154e-6));
    }
}

static int is_generic(const char *name)
{
    return name_eq(name, strlen(name), "Detector", 8);
}

tsct_status tsct_poni_detector_find(const char *name, tsct_poni_detector *out, tsct_error *err)
{
    memset(out, 0, sizeof *out);
    if (name && is_generic(name)) {
        out->name = "Detector";
        return TSCT_OK;
    }
    const det_def *d = name ? det_lookup(name) : NULL;
    if (!d)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "Detector", -1,
                              "unknown detector \"%s\" (known: Pilatus*, PilatusCdTe*, Eiger*, "
                              "Eiger2*, Eiger2CdTe*, Perkin, Pixium, Dexela2923, Detector)",
                              name ? name : "(null)");
    out->name = d->name;
    out->pixel1 = out->pixel2 = d->pixel;
    for (int a = 0; a < 2; a++) {
        out->module[a] = layouts[d->modules].module[a];
        out->gap[a] = layouts[d->modules].gap[a];
    }
    out->middle = layouts[d->modules].middle;
    out->middle_from = layouts[d->modules].middle_from;
    det_shape(d, d->pixel, d->pixel, out->shape);
    return TSCT_OK;
}

void tsct_poni_init(tsct_poni *poni)
{
    memset(poni, 0, sizeof *poni);
    snprintf(poni->detector, sizeof poni->detector, "Detector");
    poni->orientation = 3;
}

/* ---- the key: value dictionary ---------------------------------------------------------- */

typedef struct kv {
    char key[64];
    char *value;
    int64_t line;
} kv;

typedef struct dict {
    kv *items;
    int64_t n, cap;
} dict;

static void dict_free(dict *d)
{
    for (int64_t i = 0; i < d->n; i++)
        free(d->items[i].value);
    free(d->items);
}

static const kv *dict_get(const dict *d, const char *key)
{
    for (int64_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].key, key) == 0)
            return &d->items[i];
    return NULL;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r' || c == '\n';
}

static tsct_status dict_put(dict *d, const char *k, size_t kl, const char *v, size_t vl,
                            int64_t line, tsct_error *err)
{
    char key[64];
    for (size_t i = 0; i < kl; i++)
        if ((unsigned char)k[i] < 0x20 || k[i] == 0x7f)
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "key", line,
                                  "line %lld: a control byte (0x%02x) inside a key",
                                  (long long)line, (unsigned)(unsigned char)k[i]);
    if (kl >= sizeof key)
        kl = sizeof key - 1;   /* no pyFAI key is that long; a truncated one never matches */
    for (size_t i = 0; i < kl; i++)
        key[i] = (char)tolower((unsigned char)k[i]);
    key[kl] = '\0';
    char *val = malloc(vl + 1);
    if (!val)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, key, line, "cannot store the value");
    memcpy(val, v, vl);
    val[vl] = '\0';
    for (int64_t i = 0; i < d->n; i++)
        if (strcmp(d->items[i].key, key) == 0) {
            free(d->items[i].value);
            d->items[i].value = val;
            d->items[i].line = line;
            return TSCT_OK;
        }
    if (d->n == d->cap) {
        int64_t cap = d->cap ? 2 * d->cap : 16;
        void *p = realloc(d->items, (size_t)cap * sizeof *d->items);
        if (!p) {
            free(val);
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, key, line, "cannot grow the keys");
        }
        d->items = p;
        d->cap = cap;
    }
    memcpy(d->items[d->n].key, key, kl + 1);
    d->items[d->n].value = val;
    d->items[d->n].line = line;
    d->n++;
    return TSCT_OK;
}

/* pyFAI: skip lines starting with '#' or without ':'; split at the first ':'; strip. Lines
 * end at '\n', '\r\n' or '\r' (Python's universal newlines). */
static tsct_status dict_parse(dict *d, const char *text, size_t size, tsct_error *err)
{
    const char *s = text, *end = text + size;
    int64_t line = 0;
    while (s < end) {
        line++;
        const char *e = s;
        while (e < end && *e != '\n' && *e != '\r')
            e++;
        const char *next = e;
        if (next < end)
            next += (*next == '\r' && next + 1 < end && next[1] == '\n') ? 2 : 1;
        if (e > s && *s != '#') {
            const char *colon = memchr(s, ':', (size_t)(e - s));
            if (colon) {
                const char *k = s, *ke = colon, *v = colon + 1, *ve = e;
                while (k < ke && is_space(*k))
                    k++;
                while (ke > k && is_space(ke[-1]))
                    ke--;
                while (v < ve && is_space(*v))
                    v++;
                while (ve > v && is_space(ve[-1]))
                    ve--;
                TSCT_TRY(dict_put(d, k, (size_t)(ke - k), v, (size_t)(ve - v), line, err));
            }
        }
        s = next;
    }
    return TSCT_OK;
}

/* A whole number (Python float() spelling, finite). */
static tsct_status parse_double(const char *s, size_t n, const char *item, int64_t line,
                                double *out, tsct_error *err)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, item, line,
                              "expected a number, found \"%.*s\"", (int)(n > 40 ? 40 : n), s);
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *endp;
    errno = 0;
    double v = strtod(buf, &endp);
    while (*endp && is_space(*endp))
        endp++;
    /* strtod also accepts hexadecimal floats, which Python's float() does not */
    if (endp == buf || *endp || strchr(buf, 'x') || strchr(buf, 'X'))
        return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, item, line,
                              "expected a number, found \"%s\"", buf);
    if (!isfinite(v))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, item, line,
                              "expected a finite number, found \"%s\"", buf);
    *out = v;
    return TSCT_OK;
}

static tsct_status get_double(const dict *d, const char *key, const char *shown, int required,
                              double *out, int *found, tsct_error *err)
{
    const kv *k = dict_get(d, key);
    if (found)
        *found = k != NULL;
    if (!k) {
        if (required)
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, shown, -1,
                                  "required key missing (\"%s: <value>\")", shown);
        return TSCT_OK;
    }
    return parse_double(k->value, strlen(k->value), shown, k->line, out, err);
}

/* ---- Detector_config JSON ---------------------------------------------------------------- */

typedef struct jcur {
    const char *s, *end;
    int64_t line;
    tsct_error *err;
} jcur;

static void jws(jcur *c)
{
    while (c->s < c->end && is_space(*c->s))
        c->s++;
}

static tsct_status jfail(jcur *c, const char *what)
{
    int n = (int)(c->end - c->s > 30 ? 30 : c->end - c->s);
    return tsct_error_set(c->err, TSCT_ERR_FORMAT, NULL, "Detector_config", c->line,
                          "bad JSON: %s at \"%.*s\"", what, n, c->s);
}

/* A string; its raw bytes (escapes kept) into out when out != NULL. */
static tsct_status jstring(jcur *c, char *out, size_t size)
{
    if (c->s >= c->end || *c->s != '"')
        return jfail(c, "expected a string");
    c->s++;
    size_t n = 0;
    while (c->s < c->end && *c->s != '"') {
        if (*c->s == '\\') {
            if (c->end - c->s < 2)
                break;
            if (out && n + 1 < size)
                out[n++] = c->s[1];
            c->s += 2;
            continue;
        }
        if (out && n + 1 < size)
            out[n++] = *c->s;
        c->s++;
    }
    if (c->s >= c->end)
        return jfail(c, "unterminated string");
    c->s++;
    if (out)
        out[n] = '\0';
    return TSCT_OK;
}

static tsct_status jnumber(jcur *c, const char *item, double *v)
{
    const char *b = c->s;
    while (c->s < c->end && (isdigit((unsigned char)*c->s) || *c->s == '-' || *c->s == '+' ||
                             *c->s == '.' || *c->s == 'e' || *c->s == 'E'))
        c->s++;
    if (c->s == b)
        return jfail(c, "expected a number");
    return parse_double(b, (size_t)(c->s - b), item, c->line, v, c->err);
}

static int jlit(jcur *c, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->s) >= n && memcmp(c->s, lit, n) == 0) {
        c->s += n;
        return 1;
    }
    return 0;
}

static tsct_status jskip(jcur *c, int depth)
{
    if (depth > 32)
        return jfail(c, "nesting deeper than 32");
    jws(c);
    if (c->s >= c->end)
        return jfail(c, "value missing");
    if (*c->s == '"')
        return jstring(c, NULL, 0);
    if (*c->s == '{' || *c->s == '[') {
        char close = *c->s == '{' ? '}' : ']';
        int obj = *c->s == '{';
        c->s++;
        jws(c);
        if (c->s < c->end && *c->s == close) {
            c->s++;
            return TSCT_OK;
        }
        for (;;) {
            if (obj) {
                jws(c);
                TSCT_TRY(jstring(c, NULL, 0));
                jws(c);
                if (c->s >= c->end || *c->s != ':')
                    return jfail(c, "expected ':'");
                c->s++;
            }
            TSCT_TRY(jskip(c, depth + 1));
            jws(c);
            if (c->s < c->end && *c->s == ',') {
                c->s++;
                continue;
            }
            if (c->s < c->end && *c->s == close) {
                c->s++;
                return TSCT_OK;
            }
            return jfail(c, "expected ',' or a closing bracket");
        }
    }
    if (jlit(c, "null") || jlit(c, "true") || jlit(c, "false") || jlit(c, "NaN") ||
        jlit(c, "Infinity") || jlit(c, "-Infinity"))
        return TSCT_OK;
    double v;
    return jnumber(c, "Detector_config", &v);
}

typedef struct det_config {
    double pixel1, pixel2;
    int have_pixel1, have_pixel2;
    int64_t max_shape[2];
    int have_max_shape;   /* 1: [r, c]; 2: null */
    int64_t orientation;
    int have_orientation;
    int spline;           /* a non-null spline file */
} det_config;

static tsct_status jint(jcur *c, const char *item, int64_t *out)
{
    double v;
    TSCT_TRY(jnumber(c, item, &v));
    if (v != floor(v) || v < 0 || v > 1e15)
        return tsct_error_set(c->err, TSCT_ERR_VALUE, NULL, item, c->line,
                              "expected a non-negative integer, found %g", v);
    *out = (int64_t)v;
    return TSCT_OK;
}

static tsct_status parse_config(const char *text, int64_t line, det_config *dc, tsct_error *err)
{
    memset(dc, 0, sizeof *dc);
    jcur c = {text, text + strlen(text), line, err};
    jws(&c);
    if (jlit(&c, "null"))
        return TSCT_OK;
    if (c.s >= c.end || *c.s != '{')
        return jfail(&c, "expected '{'");
    c.s++;
    jws(&c);
    if (c.s < c.end && *c.s == '}')
        return TSCT_OK;
    for (;;) {
        char key[32];
        jws(&c);
        TSCT_TRY(jstring(&c, key, sizeof key));
        jws(&c);
        if (c.s >= c.end || *c.s != ':')
            return jfail(&c, "expected ':'");
        c.s++;
        jws(&c);
        if (strcmp(key, "pixel1") == 0 || strcmp(key, "pixel2") == 0) {
            int one = key[5] == '1';
            if (jlit(&c, "null")) {
                /* absent */
            } else {
                TSCT_TRY(jnumber(&c, one ? "Detector_config.pixel1" : "Detector_config.pixel2",
                                 one ? &dc->pixel1 : &dc->pixel2));
                *(one ? &dc->have_pixel1 : &dc->have_pixel2) = 1;
            }
        } else if (strcmp(key, "max_shape") == 0) {
            if (jlit(&c, "null")) {
                dc->have_max_shape = 2;
            } else {
                if (c.s >= c.end || *c.s != '[')
                    return jfail(&c, "max_shape: expected [rows, columns] or null");
                c.s++;
                for (int k = 0; k < 2; k++) {
                    jws(&c);
                    TSCT_TRY(jint(&c, "Detector_config.max_shape", &dc->max_shape[k]));
                    jws(&c);
                    if (c.s >= c.end || *c.s != (k == 0 ? ',' : ']'))
                        return jfail(&c, "max_shape: expected [rows, columns]");
                    c.s++;
                }
                dc->have_max_shape = 1;
            }
        } else if (strcmp(key, "orientation") == 0) {
            TSCT_TRY(jint(&c, "Detector_config.orientation", &dc->orientation));
            dc->have_orientation = 1;
        } else if (tsct__ascii_casecmp(key, "splinefile") == 0 ||
                   tsct__ascii_casecmp(key, "splineFile") == 0) {
            if (!jlit(&c, "null")) {
                TSCT_TRY(jskip(&c, 1));
                dc->spline = 1;
            }
        } else {
            TSCT_TRY(jskip(&c, 1));
        }
        jws(&c);
        if (c.s < c.end && *c.s == ',') {
            c.s++;
            continue;
        }
        if (c.s < c.end && *c.s == '}') {
            c.s++;
            break;
        }
        return jfail(&c, "expected ',' or '}'");
    }
    jws(&c);
    if (c.s != c.end)
        return jfail(&c, "text after the object");
    return TSCT_OK;
}

/* ---- interpretation -------------------------------------------------------------------- */

static tsct_status set_name(tsct_poni *poni, const char *name, tsct_error *err)
{
    size_t n = strlen(name);
    if (n >= sizeof poni->detector)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "Detector", -1,
                              "detector name longer than %zu characters",
                              sizeof poni->detector - 1);
    memcpy(poni->detector, name, n + 1);
    return TSCT_OK;
}

static tsct_status interpret(const dict *d, tsct_poni *poni, tsct_error *err)
{
    double version = 1;
    const kv *kver = dict_get(d, "poni_version");
    if (kver)
        TSCT_TRY(parse_double(kver->value, strlen(kver->value), "poni_version", kver->line,
                              &version, err));
    const kv *kdet = dict_get(d, "detector");
    const kv *kcfg = dict_get(d, "detector_config");
    det_config dc;
    memset(&dc, 0, sizeof dc);
    if (kcfg) {
        TSCT_TRY(parse_config(kcfg->value, kcfg->line, &dc, err));
        /* pyFAI: a Detector_config makes the file version 2, or 2.1 with an orientation */
        double implied = dc.have_orientation ? 2.1 : 2;
        if (version < implied)
            version = implied;
    }
    if (version != 1 && version != 2 && version != 2.1)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "poni_version",
                              kver ? kver->line : -1,
                              "version %g is not supported (expected 1, 2 or 2.1)", version);
    const det_def *def = NULL;
    if (kdet && !is_generic(kdet->value)) {
        def = det_lookup(kdet->value);
        if (!def)
            return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "Detector", kdet->line,
                                  "unknown detector \"%s\" (known: Pilatus*, PilatusCdTe*, "
                                  "Eiger*, Eiger2*, Eiger2CdTe*, Perkin, Pixium, Dexela2923, "
                                  "Detector)", kdet->value);
    }
    if (version == 1) {
        const kv *ks = dict_get(d, "splinefile");
        if (ks && tsct__ascii_casecmp(ks->value, "none") != 0)
            return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "SplineFile", ks->line,
                                  "spline distortion files are not supported (found \"%s\")",
                                  ks->value);
        double p1 = 0, p2 = 0;
        int f1, f2;
        TSCT_TRY(get_double(d, "pixelsize1", "PixelSize1", 0, &p1, &f1, err));
        TSCT_TRY(get_double(d, "pixelsize2", "PixelSize2", 0, &p2, &f2, err));
        if (def && (f1 && f2)) {
            TSCT_TRY(set_name(poni, def->name, err));
            poni->pixel1 = p1;
            poni->pixel2 = p2;
            det_shape(def, p1, p2, poni->shape);
        } else if (def && !f1 && !f2) {
            TSCT_TRY(set_name(poni, def->name, err));
            poni->pixel1 = poni->pixel2 = def->pixel;
            det_shape(def, def->pixel, def->pixel, poni->shape);
        } else {
            /* pyFAI falls back to the generic detector; it needs both pixel sizes */
            TSCT_TRY(set_name(poni, "Detector", err));
            if (!f1 || !f2)
                return tsct_error_set(err, TSCT_ERR_FORMAT, NULL,
                                      f1 ? "PixelSize2" : "PixelSize1", -1,
                                      "required key missing (no known Detector gives the pixel "
                                      "size)");
            poni->pixel1 = p1;
            poni->pixel2 = p2;
        }
    } else {
        if (!kdet)
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "Detector", -1,
                                  "required key missing (PONI version %g)", version);
        if (!kcfg)
            return tsct_error_set(err, TSCT_ERR_FORMAT, NULL, "Detector_config", -1,
                                  "required key missing (PONI version %g)", version);
        if (dc.spline)
            return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, "Detector_config",
                                  kcfg->line, "spline distortion files are not supported");
        if (def) {
            TSCT_TRY(set_name(poni, def->name, err));
            poni->pixel1 = dc.have_pixel1 ? dc.pixel1 : def->pixel;
            poni->pixel2 = dc.have_pixel2 ? dc.pixel2 : def->pixel;
            det_shape(def, poni->pixel1, poni->pixel2, poni->shape);
        } else {
            TSCT_TRY(set_name(poni, "Detector", err));
            if (!dc.have_pixel1 || !dc.have_pixel2)
                return tsct_error_set(err, TSCT_ERR_FORMAT, NULL,
                                      dc.have_pixel1 ? "Detector_config.pixel2"
                                                     : "Detector_config.pixel1",
                                      kcfg->line, "required for the generic Detector");
            poni->pixel1 = dc.pixel1;
            poni->pixel2 = dc.pixel2;
        }
        if (dc.have_max_shape == 1) {
            poni->shape[0] = dc.max_shape[0];
            poni->shape[1] = dc.max_shape[1];
        }
        if (dc.have_orientation) {
            if (dc.orientation > 4)
                return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "Detector_config.orientation",
                                      kcfg->line, "expected 1..4, found %lld",
                                      (long long)dc.orientation);
            poni->orientation = dc.orientation == 0 ? 3 : (int)dc.orientation;
        }
    }
    if (!(poni->pixel1 > 0) || !(poni->pixel2 > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "pixel size", -1,
                              "pixel sizes must be > 0, found %g x %g m", poni->pixel1,
                              poni->pixel2);
    int found;
    TSCT_TRY(get_double(d, "distance", "Distance", 0, &poni->dist, &found, err));
    if (!found)
        TSCT_TRY(get_double(d, "dist", "Distance", 1, &poni->dist, NULL, err));
    TSCT_TRY(get_double(d, "poni1", "Poni1", 1, &poni->poni1, NULL, err));
    TSCT_TRY(get_double(d, "poni2", "Poni2", 1, &poni->poni2, NULL, err));
    TSCT_TRY(get_double(d, "rot1", "Rot1", 1, &poni->rot1, NULL, err));
    TSCT_TRY(get_double(d, "rot2", "Rot2", 1, &poni->rot2, NULL, err));
    TSCT_TRY(get_double(d, "rot3", "Rot3", 1, &poni->rot3, NULL, err));
    TSCT_TRY(get_double(d, "wavelength", "Wavelength", 0, &poni->wavelength, NULL, err));
    if (poni->wavelength < 0 || poni->wavelength > 1e-6)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "Wavelength", -1,
                              "expected a wavelength from 0 to 1e-6 m, found %g",
                              poni->wavelength);
    /* Bounds of a physical geometry (pyFAI does not check them; tsct's geometry does
     * arithmetic with them): a detector within 100 m, rotations within two turns, pixels
     * below a metre. */
    const struct {
        const char *name;
        double v, lo, hi;
    } lim[] = {{"Distance", poni->dist, 1e-6, 100.0}, {"Poni1", poni->poni1, -100.0, 100.0},
               {"Poni2", poni->poni2, -100.0, 100.0}, {"Rot1", poni->rot1, -4 * M_PI, 4 * M_PI},
               {"Rot2", poni->rot2, -4 * M_PI, 4 * M_PI}, {"Rot3", poni->rot3, -4 * M_PI, 4 * M_PI},
               {"PixelSize1", poni->pixel1, 1e-9, 1.0}, {"PixelSize2", poni->pixel2, 1e-9, 1.0}};
    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++)
        if (!(lim[i].v >= lim[i].lo && lim[i].v <= lim[i].hi))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, lim[i].name, -1,
                                  "expected %g to %g (m or rad), found %g", lim[i].lo, lim[i].hi,
                                  lim[i].v);
    return TSCT_OK;
}

tsct_status tsct_poni_parse(tsct_poni *poni, const char *text, size_t size, tsct_error *err)
{
    tsct_poni_init(poni);
    dict d = {NULL, 0, 0};
    tsct_status st = dict_parse(&d, text, size, err);
    if (st == TSCT_OK)
        st = interpret(&d, poni, err);
    dict_free(&d);
    if (st != TSCT_OK)
        tsct_poni_init(poni);
    return st;
}

tsct_status tsct_poni_read(tsct_poni *poni, const char *path, tsct_error *err)
{
    tsct_poni_init(poni);
    uint8_t *buf;
    size_t size;
    TSCT_TRY(tsct__file_read_all(path, &buf, &size, err));
    tsct_status st = tsct_poni_parse(poni, (const char *)buf, size, err);
    free(buf);
    tsct_error_set_file(err, path);
    return st;
}

/* ---- writing --------------------------------------------------------------------------- */

/* Shortest decimal form that reads back to the same double (as Python's repr). */
static void fmt_double(char *buf, size_t size, double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* version 21: PONI 2.1 (orientation in Detector_config); 2: PONI 2, which pyFAI 0.21 reads. */
static tsct_status poni_write(const tsct_poni *poni, const char *path, int version,
                              const char *note, tsct_error *err)
{
    if (note && strpbrk(note, "\r\n"))
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "note", -1, "must be one line");
    const double vals[] = {poni->pixel1, poni->pixel2, poni->dist, poni->poni1, poni->poni2,
                           poni->rot1,   poni->rot2,   poni->rot3, poni->wavelength};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        if (!isfinite(vals[i]))
            return tsct_error_set(err, TSCT_ERR_VALUE, path, "geometry", (int64_t)i,
                                  "non-finite value");
    if (!(poni->pixel1 > 0) || !(poni->pixel2 > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "pixel size", -1,
                              "pixel sizes must be > 0, found %g x %g m", poni->pixel1,
                              poni->pixel2);
    if (poni->orientation < 1 || poni->orientation > 4 || (version == 2 && poni->orientation != 3))
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "orientation", -1,
                              "expected %s, found %d", version == 2 ? "3 (PONI version 2)" : "1..4",
                              poni->orientation);
    size_t nl = strnlen(poni->detector, sizeof poni->detector);
    if (nl == 0 || nl == sizeof poni->detector || strpbrk(poni->detector, "\r\n"))
        return tsct_error_set(err, TSCT_ERR_VALUE, path, "Detector", -1,
                              "detector name must be one non-empty line");
    const det_def *def = is_generic(poni->detector) ? NULL : det_lookup(poni->detector);
    char p1[32], p2[32], v[32];
    fmt_double(p1, sizeof p1, poni->pixel1);
    fmt_double(p2, sizeof p2, poni->pixel2);
    FILE *fp;
    tsct_publish pub;
    TSCT_TRY(tsct_publish_fopen(&pub, path, &fp, err));
    fprintf(fp, "# Nota: C-Order, 1 refers to the Y axis, 2 to the X axis\n");
    fprintf(fp, "# Written by tsct%s%s\n", note ? ": " : "", note ? note : "");
    fprintf(fp, "poni_version: %s\n", version == 2 ? "2" : "2.1");
    fprintf(fp, "Detector: %s\n", def ? def->name : poni->detector);
    fprintf(fp, "Detector_config: {\"pixel1\": %s, \"pixel2\": %s", p1, p2);
    if (!def || def->binning == 0) {
        if (poni->shape[0] > 0 && poni->shape[1] > 0)
            fprintf(fp, ", \"max_shape\": [%lld, %lld]", (long long)poni->shape[0],
                    (long long)poni->shape[1]);
        else
            fprintf(fp, ", \"max_shape\": null");
    }
    if (version == 2)
        fprintf(fp, "}\n");
    else
        fprintf(fp, ", \"orientation\": %d}\n", poni->orientation);
    const struct {
        const char *key;
        double value;
    } lines[] = {{"Distance", poni->dist}, {"Poni1", poni->poni1}, {"Poni2", poni->poni2},
                 {"Rot1", poni->rot1},     {"Rot2", poni->rot2},   {"Rot3", poni->rot3}};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        fmt_double(v, sizeof v, lines[i].value);
        fprintf(fp, "%s: %s\n", lines[i].key, v);
    }
    if (poni->wavelength > 0) {
        fmt_double(v, sizeof v, poni->wavelength);
        fprintf(fp, "Wavelength: %s\n", v);
    }
    return tsct_publish_fclose(&pub, fp, err);
}

tsct_status tsct_poni_write(const tsct_poni *poni, const char *path, tsct_error *err)
{
    return poni_write(poni, path, 21, NULL, err);
}

tsct_status tsct_poni_write_v2(const tsct_poni *poni, const char *path, tsct_error *err)
{
    return poni_write(poni, path, 2, NULL, err);
}

tsct_status tsct_poni_write_v2_noted(const tsct_poni *poni, const char *path, const char *note,
                                     tsct_error *err)
{
    return poni_write(poni, path, 2, note, err);
}

int64_t tsct_poni_detector_mask(const tsct_poni_detector *d, int64_t rows, int64_t cols,
                                uint8_t *mask)
{
    if (d->module[0] <= 0 || rows != d->shape[0] || cols != d->shape[1])
        return 0;
    /* pyFAI's _Dectris.calc_mask: a gap after every module along each axis; then the middle
     * columns of each module for CdTe Pilatus and Eiger2. */
    for (int64_t i = d->module[0]; i < rows; i += d->module[0] + d->gap[0])
        for (int64_t r = i; r < i + d->gap[0] && r < rows; r++)
            memset(mask + r * cols, 1, (size_t)cols);
    for (int64_t j = d->module[1]; j < cols; j += d->module[1] + d->gap[1])
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = j; c < j + d->gap[1] && c < cols; c++)
                mask[r * cols + c] = 1;
    if (d->middle > 0)
        for (int64_t j = d->module[1] / 2; j < cols; j += d->module[1] + d->gap[1])
            for (int64_t r = 0; r < rows; r++)
                for (int64_t c = j - d->middle_from; c < j - d->middle_from + d->middle && c < cols;
                     c++)
                    if (c >= 0)
                        mask[r * cols + c] = 1;
    int64_t n = 0;
    for (int64_t k = 0; k < rows * cols; k++)
        n += mask[k] != 0;
    return n;
}

int tsct_poni_read_note(const char *path, char *buf, size_t size)
{
    static const char tag[] = "# Written by tsct: ";
    if (size)
        buf[0] = '\0';
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    char line[1024];
    for (int i = 0; i < 8 && fgets(line, sizeof line, fp); i++)
        if (strncmp(line, tag, sizeof tag - 1) == 0) {
            line[strcspn(line, "\r\n")] = '\0';
            if (size)
                snprintf(buf, size, "%s", line + sizeof tag - 1);
            break;
        }
    fclose(fp);
    return 0;
}
