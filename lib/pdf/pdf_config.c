/* pdf_config.c - PDFgetX3 configuration files: read, set key by key, check, and write back.
 *
 * The syntax is Python's ConfigParser as PDFgetX3 uses it: sections in brackets, [DEFAULT]
 * first and always applied, "key = value" or "key: value", keys case-insensitive, full-line
 * comments, a value continued on indented lines. List keys (files, scales, output types) split
 * on commas, spaces and line ends. Every key a file sets records its line, so that errors found
 * later (a scale list of the wrong length, qmax above the data) still name file, line and key.
 * Unknown keys are errors, not warnings: a misspelt "qmaxinst" silently ignored would change
 * the PDF. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "tsct/publish.h"
#include "tsct/composition.h"
#include "tsct/pdf.h"

/* The keys, in the order of the key-line table; plural aliases map to their singular. */
static const char *const key_names[] = {
    "dataformat", "inputfile", "backgroundfile", "bgscale", "datapath", "output",
    "outputtype", "force", "mode", "wavelength", "twothetazero", "composition", "qmaxinst",
    "qmin", "qmax", "rmin", "rmax", "rstep", "rpoly", "lorch", "plot", "interact", "verbose",
    "version", "formfactorfile", NULL};
_Static_assert(sizeof key_names / sizeof key_names[0] - 1 <= TSCT_PDF_CONFIG_NKEYS,
               "the key-line table of tsct_pdf_config is too small");
static const char *const key_aliases[][2] = {{"outputtypes", "outputtype"},
                                             {"backgroundfiles", "backgroundfile"},
                                             {"bgscales", "bgscale"},
                                             {"inputfiles", "inputfile"},
                                             {NULL, NULL}};

static int key_index(const char *key)
{
    for (int i = 0; key_aliases[i][0]; i++)
        if (!strcmp(key, key_aliases[i][0]))
            key = key_aliases[i][1];
    for (int i = 0; key_names[i]; i++)
        if (!strcmp(key, key_names[i]))
            return i;
    return -1;
}

void tsct_pdf_config_init(tsct_pdf_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->dataformat, sizeof cfg->dataformat, "QA");
    for (int k = 0; k < TSCT_PDF_MAX_BACKGROUNDS; k++)
        cfg->bgscale[k] = 1.0;
    snprintf(cfg->outputtypes[0], sizeof cfg->outputtypes[0], "gr");
    cfg->noutputtypes = 1;
    snprintf(cfg->mode, sizeof cfg->mode, "xray");
    cfg->wavelength = NAN;
    cfg->params = (tsct_pdf_params)TSCT_PDF_PARAMS_DEFAULT;
    for (int k = 0; k < TSCT_PDF_CONFIG_NKEYS; k++)
        cfg->keyline[k] = -1;
}

int64_t tsct_pdf_config_line(const tsct_pdf_config *cfg, const char *key)
{
    int k = key_index(key);
    return k < 0 ? -1 : cfg->keyline[k];
}

double tsct_pdf_config_bgscale(const tsct_pdf_config *cfg, int k)
{
    if (cfg->nbgscale == 1) /* one value scales every background (PDFgetX3) */
        return cfg->bgscale[0];
    return cfg->nbgscale > 0 && k >= 0 && k < cfg->nbgscale ? cfg->bgscale[k] : 1.0;
}

int tsct_pdf_config_background_used(const tsct_pdf_config *cfg, int k)
{
    if (k < 0 || k >= cfg->nbackgroundfile)
        return 0;
    for (int j = k + 1; j < cfg->nbackgroundfile; j++)
        if (!strcmp(cfg->backgroundfile[j], cfg->backgroundfile[k]))
            return 0;
    return 1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* The folder part of a file name ("" for a bare name). */
static void folder_of(const char *file, char *dst, size_t size)
{
    const char *slash = file ? strrchr(file, '/') : NULL;
    if (!slash)
        dst[0] = '\0';
    else
        snprintf(dst, size, "%.*s", (int)(slash - file), file);
}

/* A relative name against a folder ("" : as given); a name too long for dst is cut (the
 * file is then not found, and opening it says so). */
static void join(char *dst, size_t size, const char *dir, const char *name)
{
    size_t dl = !dir[0] || name[0] == '/' ? 0 : strlen(dir) + 1;
    if (dl >= size)
        dl = 0;
    if (dl) {
        memcpy(dst, dir, dl - 1);
        dst[dl - 1] = '/';
    }
    size_t nl = strlen(name);
    if (nl > size - dl - 1)
        nl = size - dl - 1;
    memcpy(dst + dl, name, nl);
    dst[dl + nl] = '\0';
}

/* A file that does not exist where its name points is looked for in each datapath folder,
 * by the name as written (`raw`); the first that exists wins, else the name stays. */
static void search_datapath(const tsct_pdf_config *cfg, char *name, size_t size,
                            const char *raw)
{
    if (raw[0] == '/' || exists(name))
        return;
    for (int d = 0; d < cfg->ndatapath; d++) {
        char cand[1024];
        join(cand, sizeof cand, cfg->datapath[d], raw);
        if (exists(cand)) {
            join(name, size, "", cand);
            return;
        }
    }
}

static tsct_status number(const char *value, double *out, const char *file, const char *key,
                          int64_t line, tsct_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (!value[0] || *end || errno || !isfinite(v))
        return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                              "expected a number, found '%s'", value);
    *out = v;
    return TSCT_OK;
}

/* yes/no, true/false, on/off, 1/0 (ConfigParser's booleans). */
static tsct_status boolean(const char *v, int *out, const char *file, const char *key,
                           int64_t line, tsct_error *err)
{
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i])) {
            *out = 1;
            return TSCT_OK;
        }
        if (!strcasecmp(v, no[i])) {
            *out = 0;
            return TSCT_OK;
        }
    }
    return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                          "expected yes or no (true/false, on/off, 1/0), found '%s'", v);
}

/* Split a list value on commas, spaces and line ends into at most `max` items of `width`
 * bytes; returns the count, or -1 when there are more than `max`. */
static int split_list(const char *value, char *items, int max, size_t width)
{
    char buf[16384], *save = NULL;
    snprintf(buf, sizeof buf, "%s", value);
    int n = 0;
    for (char *tok = strtok_r(buf, ", \t\r\n", &save); tok;
         tok = strtok_r(NULL, ", \t\r\n", &save)) {
        if (n == max)
            return -1;
        snprintf(items + (size_t)n * width, width, "%s", tok);
        n++;
    }
    return n;
}

static tsct_status set_files(char (*dst)[1024], int *count, int max, const char *value,
                             const tsct_pdf_config *cfg, const char *file, const char *key,
                             int64_t line, tsct_error *err)
{
    char (*items)[1024] = malloc((size_t)max * sizeof *items);
    if (!items)
        return tsct_error_set(err, TSCT_ERR_NOMEM, file, key, line, "file list");
    int n = split_list(value, &items[0][0], max, sizeof items[0]);
    if (n < 0) {
        free(items);
        return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                              "more than %d files; give them on the command line", max);
    }
    char dir[1024];
    folder_of(file, dir, sizeof dir);
    for (int i = 0; i < n; i++) {
        join(dst[i], sizeof dst[i], dir, items[i]);
        search_datapath(cfg, dst[i], sizeof dst[i], items[i]);
    }
    *count = n;
    free(items);
    return TSCT_OK;
}

tsct_status tsct_pdf_config_set(tsct_pdf_config *cfg, const char *key, const char *value,
                                const char *file, int64_t line, tsct_error *err)
{
    const int k = key_index(key);
    if (k < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                              "unknown key '%s' (PDFgetX3 keys: dataformat, inputfile, "
                              "backgroundfile(s), bgscale(s), datapath, output, outputtype(s), "
                              "force, mode, wavelength, twothetazero, composition, qmaxinst, "
                              "qmin, qmax, rmin, rmax, rstep, rpoly, plot, interact, verbose; "
                              "tsct: lorch)", key);
    key = key_names[k];
    cfg->keyline[k] = line > 0 ? line : -1;
    tsct_pdf_params *p = &cfg->params;
    /* Numbers with their lower bounds: > lo (strict) or >= lo. */
    struct {
        const char *name;
        double *dst, lo;
        int strict;
        const char *meaning;
    } nums[] = {
        {"twothetazero", &cfg->twothetazero, -INFINITY, 0, "an angle in degrees"},
        {"wavelength", &cfg->wavelength, 0, 1, "a wavelength in A"},
        {"qmaxinst", &p->qmaxinst, 0, 0, "0 (the end of the data) or a Q in 1/A"},
        {"qmin", &p->qmin, 0, 0, "a Q >= 0 in 1/A"},
        {"qmax", &p->qmax, 0, 0, "0 (qmaxinst, or the end of the data) or a Q in 1/A"},
        {"rmin", &p->rmin, 0, 0, "an r >= 0 in A"},
        {"rmax", &p->rmax, 0, 0, "an r >= 0 in A"},
        {"rstep", &p->rstep, 0, 1, "a step > 0 in A"},
        {"rpoly", &p->rpoly, 0, 0, "an r >= 0 in A (0: no polynomial correction)"},
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (!strcmp(key, nums[i].name)) {
            if (!strcmp(key, "wavelength") && !value[0]) {
                cfg->wavelength = NAN;
                return TSCT_OK;
            }
            double v;
            TSCT_TRY(number(value, &v, file, key, line, err));
            if (nums[i].strict ? !(v > nums[i].lo) : !(v >= nums[i].lo))
                return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                                      "expected %s, found %s", nums[i].meaning, value);
            *nums[i].dst = v;
            return TSCT_OK;
        }
    if (!strcmp(key, "bgscale")) {
        char items[TSCT_PDF_MAX_BACKGROUNDS][64];
        int n = split_list(value, &items[0][0], TSCT_PDF_MAX_BACKGROUNDS, sizeof items[0]);
        if (n < 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                                  "more than %d scales", TSCT_PDF_MAX_BACKGROUNDS);
        double v[TSCT_PDF_MAX_BACKGROUNDS];
        for (int i = 0; i < n; i++)
            TSCT_TRY(number(items[i], &v[i], file, key, line, err));
        for (int i = 0; i < TSCT_PDF_MAX_BACKGROUNDS; i++)
            cfg->bgscale[i] = i < n ? v[i] : 1.0;
        cfg->nbgscale = n;
        return TSCT_OK;
    }
    if (!strcmp(key, "dataformat")) {
        const char *ok[] = {"twotheta", "QA", "Qnm"};
        for (int i = 0; i < 3; i++)
            if (!strcmp(value, ok[i])) {
                snprintf(cfg->dataformat, sizeof cfg->dataformat, "%s", value);
                return TSCT_OK;
            }
        return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                              "expected twotheta, QA or Qnm, found '%s'", value);
    }
    if (!strcmp(key, "mode")) {
        static const char *const other[][2] = {
            {"neutron", "it has no table of neutron scattering lengths"},
            {"electron", "it has no electron scattering factors"},
            {"sas", "it has no formfactorfile reader"}};
        for (int i = 0; i < 3; i++)
            if (!strcmp(value, other[i][0]))
                return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, file, key, line,
                                      "mode '%s' is not supported: tsct normalises by X-ray "
                                      "form factors only (%s); use mode = xray", value,
                                      other[i][1]);
        if (strcmp(value, "xray"))
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                                  "expected xray (PDFgetX3 also knows neutron, electron and "
                                  "sas), found '%s'", value);
        snprintf(cfg->mode, sizeof cfg->mode, "%s", value);
        return TSCT_OK;
    }
    if (!strcmp(key, "composition")) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", value);
        for (char *c = buf; *c; c++)
            if (*c == '\n' || *c == '\r' || *c == '\t')
                *c = ' ';
        char *v = trim(buf);
        if (!v[0])
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                                  "empty composition: give the sample's formula, e.g. "
                                  "composition = Ni");
        tsct_composition *c = NULL;
        tsct_error e2 = TSCT_ERROR_INIT;
        if (tsct_composition_parse(&c, v, &e2) != TSCT_OK)
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line, "%s", e2.detail);
        tsct_composition_destroy(c);
        if (strlen(v) >= sizeof cfg->composition)
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line, "formula too long");
        snprintf(cfg->composition, sizeof cfg->composition, "%s", v);
        return TSCT_OK;
    }
    if (!strcmp(key, "inputfile"))
        return set_files(cfg->inputfile, &cfg->ninputfile, TSCT_PDF_MAX_INPUTS, value, cfg,
                         file, key, line, err);
    if (!strcmp(key, "backgroundfile"))
        return set_files(cfg->backgroundfile, &cfg->nbackgroundfile, TSCT_PDF_MAX_BACKGROUNDS,
                         value, cfg, file, key, line, err);
    if (!strcmp(key, "datapath")) {
        char items[TSCT_PDF_MAX_DATAPATH][1024], dir[1024];
        int n = split_list(value, &items[0][0], TSCT_PDF_MAX_DATAPATH, sizeof items[0]);
        if (n < 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                                  "more than %d folders", TSCT_PDF_MAX_DATAPATH);
        folder_of(file, dir, sizeof dir);
        for (int i = 0; i < n; i++)
            join(cfg->datapath[i], sizeof cfg->datapath[i], dir, items[i]);
        cfg->ndatapath = n;
        return TSCT_OK;
    }
    if (!strcmp(key, "output")) {
        if (!strcmp(value, "-"))
            return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, file, key, line,
                                  "output '-' (the standard output) is not supported: give a "
                                  "file, a folder or a template such as @b.@o");
        snprintf(cfg->output, sizeof cfg->output, "%s", value);
        return TSCT_OK;
    }
    if (!strcmp(key, "force")) {
        /* PDFgetX3 also takes "once": overwrite in this run (here, every run is one). */
        if (!strcasecmp(value, "once")) {
            cfg->force = 1;
            return TSCT_OK;
        }
        return boolean(value, &cfg->force, file, key, line, err);
    }
    if (!strcmp(key, "lorch"))
        return boolean(value, &p->lorch, file, key, line, err);
    if (!strcmp(key, "outputtype")) {
        static const char *const types[] = {"iq", "sq", "fq", "gr"};
        int want[4] = {0, 0, 0, 0};
        char items[16][16];
        int n = split_list(value, &items[0][0], 16, sizeof items[0]);
        for (int t = 0; t < n; t++) {
            if (!strcasecmp(items[t], "none"))
                continue;
            int j = -1;
            for (int i = 0; i < 4; i++)
                if (!strcmp(items[t], types[i]))
                    j = i;
            if (j < 0)
                return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                                      "expected iq, sq, fq, gr or none, found '%s'", items[t]);
            want[j] = 1;
        }
        if (n < 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line, "too many types");
        cfg->noutputtypes = 0;
        for (int i = 0; i < 4; i++)
            if (want[i])
                snprintf(cfg->outputtypes[cfg->noutputtypes++], 4, "%s", types[i]);
        return TSCT_OK;
    }
    /* plot, interact, verbose, version: PDFgetX3's display keys and its output headers'
     * version; formfactorfile: the form factors of mode sas, which is refused above.
     * Accepted, nothing to do here. */
    return TSCT_OK;
}

/* One pass over the file applying section `want`; *found is set when it occurs. */
static tsct_status apply_section(tsct_pdf_config *cfg, const char *path, FILE *fp,
                                 const char *want, int *found, tsct_error *err)
{
    char line[4096], key[128] = "";
    char *value = malloc(16384);
    if (!value)
        return tsct_error_set(err, TSCT_ERR_NOMEM, path, NULL, -1, "line buffer");
    int64_t lineno = 0, keyline = 0;
    int active = 0, pending = 0, insection = 0, inkey = 0;
    tsct_status st = TSCT_OK;
    value[0] = '\0';
    rewind(fp);
    for (;;) {
        char *got = fgets(line, sizeof line, fp);
        char *s = NULL;
        if (got) {
            lineno++;
            const int indented = line[0] == ' ' || line[0] == '\t';
            s = trim(line);
            if (!strncmp(s, "#### start data", 15)) {
                /* PDFgetX3's output files are configurations up to their data. */
                got = NULL;
            } else if (!*s || *s == '#' || *s == ';') {
                /* Blank and comment lines are skipped; as in ConfigParser, a value may go
                 * on after them. */
                continue;
            } else if (indented && inkey) {
                /* The value goes on on an indented line; of a key in another section it is
                 * skipped with its key. */
                size_t l = strlen(value);
                if (pending)
                    snprintf(value + l, 16384 - l, "%s%s", l ? "\n" : "", s);
                continue;
            }
        }
        inkey = 0;
        if (pending) {
            st = tsct_pdf_config_set(cfg, key, value, path, keyline, err);
            pending = 0;
            if (st != TSCT_OK)
                break;
        }
        if (!got)
            break;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (!e) {
                st = tsct_error_set(err, TSCT_ERR_VALUE, path, "section", lineno,
                                    "expected [NAME], found '%s'", s);
                break;
            }
            *e = '\0';
            insection = 1;
            active = !strcmp(s + 1, want);
            if (active)
                *found = 1;
            continue;
        }
        size_t kl = strcspn(s, "=:");
        if (!s[kl]) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, path, s, lineno,
                                "expected 'key = value', found '%s'", s);
            break;
        }
        if (!insection) {
            st = tsct_error_set(err, TSCT_ERR_VALUE, path, s, lineno,
                                "a key before any section: start the file with [DEFAULT]");
            break;
        }
        inkey = 1;
        if (!active)
            continue;
        s[kl] = '\0';
        snprintf(key, sizeof key, "%s", trim(s));
        for (char *c = key; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        snprintf(value, 16384, "%s", trim(s + kl + 1));
        keyline = lineno;
        pending = 1;
    }
    free(value);
    return st;
}

/* Files named in the configuration that are not in its folder are looked for in datapath
 * (which may come after them in the file). */
static void datapath_fallback(tsct_pdf_config *cfg, const char *path)
{
    char dir[1024];
    folder_of(path, dir, sizeof dir);
    const size_t dl = strlen(dir);
    char (*lists[2])[1024] = {cfg->inputfile, cfg->backgroundfile};
    const int counts[2] = {cfg->ninputfile, cfg->nbackgroundfile};
    for (int l = 0; l < 2; l++)
        for (int i = 0; i < counts[l]; i++) {
            char *name = lists[l][i];
            const char *raw = dl && !strncmp(name, dir, dl) && name[dl] == '/' ? name + dl + 1
                                                                             : name;
            char rawcopy[1024];
            snprintf(rawcopy, sizeof rawcopy, "%s", raw);
            search_datapath(cfg, name, sizeof lists[l][i], rawcopy);
        }
}

tsct_status tsct_pdf_config_read(tsct_pdf_config *cfg, const char *path, const char *section,
                                 tsct_error *err)
{
    tsct_publish_note_input(path);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return tsct_error_set(err, errno == ENOENT ? TSCT_ERR_NOT_FOUND : TSCT_ERR_IO, path,
                              NULL, -1, "cannot open the configuration: %s", strerror(errno));
    int found = 0;
    tsct_status st = apply_section(cfg, path, fp, "DEFAULT", &found, err);
    if (st == TSCT_OK && section && section[0] && strcmp(section, "DEFAULT")) {
        found = 0;
        st = apply_section(cfg, path, fp, section, &found, err);
        if (st == TSCT_OK && !found)
            st = tsct_error_set(err, TSCT_ERR_NOT_FOUND, path, section, -1,
                                "no section [%s] in the configuration", section);
    }
    fclose(fp);
    if (st == TSCT_OK) {
        snprintf(cfg->source, sizeof cfg->source, "%s", path);
        datapath_fallback(cfg, path);
    }
    return st;
}

/* ", line N" where the configuration file set `key`, "" otherwise. */
static const char *where(const tsct_pdf_config *cfg, const char *key, char *buf, size_t size)
{
    const int64_t line = tsct_pdf_config_line(cfg, key);
    if (line > 0)
        snprintf(buf, size, ", line %lld", (long long)line);
    else
        buf[0] = '\0';
    return buf;
}

tsct_status tsct_pdf_config_check(const tsct_pdf_config *cfg, tsct_error *err)
{
    const char *file = cfg->source[0] ? cfg->source : NULL;
    char at[32];
    const tsct_pdf_params *p = &cfg->params;
    if (!cfg->composition[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "composition",
                              tsct_pdf_config_line(cfg, "composition"),
                              "no composition: set composition = FORMULA (e.g. Ni, CeO2)");
    if (!strcmp(cfg->dataformat, "twotheta") && !(cfg->wavelength > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "wavelength",
                              tsct_pdf_config_line(cfg, "wavelength"),
                              "dataformat twotheta needs the wavelength in Angstrom");
    if (strcmp(cfg->mode, "xray"))
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "mode",
                              tsct_pdf_config_line(cfg, "mode"),
                              "only mode xray is supported, found '%s'", cfg->mode);
    /* One scale per background, or one for all (PDFgetX3's rule; also its header without a
     * background). */
    if (cfg->nbgscale > 1 && cfg->nbgscale != cfg->nbackgroundfile)
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "bgscale",
                              tsct_pdf_config_line(cfg, "bgscale"),
                              "%d scales for %d background files (backgroundfile%s): give "
                              "one scale per background, in the same order, or one for all",
                              cfg->nbgscale, cfg->nbackgroundfile,
                              where(cfg, "backgroundfile", at, sizeof at));
    if (p->qmax > 0 && p->qmaxinst > 0 && p->qmax > p->qmaxinst * (1 + 1e-12))
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "qmax",
                              tsct_pdf_config_line(cfg, "qmax"),
                              "qmax = %g is above qmaxinst = %g%s: the transform cannot use "
                              "Q beyond the reliable data", p->qmax, p->qmaxinst,
                              where(cfg, "qmaxinst", at, sizeof at));
    const double qtop = p->qmax > 0 ? p->qmax : p->qmaxinst;
    if (qtop > 0 && !(p->qmin < qtop))
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "qmin",
                              tsct_pdf_config_line(cfg, "qmin"),
                              "qmin = %g must be below %s = %g", p->qmin,
                              p->qmax > 0 ? "qmax" : "qmaxinst", qtop);
    if (!(p->rmax >= p->rmin))
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "rmax",
                              tsct_pdf_config_line(cfg, "rmax"),
                              "rmax = %g is below rmin = %g", p->rmax, p->rmin);
    return TSCT_OK;
}

tsct_status tsct_pdf_config_check_q(const tsct_pdf_config *cfg, const double *q, int64_t n,
                                    const char *input, tsct_error *err)
{
    const char *file = cfg->source[0] ? cfg->source : NULL;
    const tsct_pdf_params *p = &cfg->params;
    const char *in = input ? input : "the pattern";
    if (!q || n < 2)
        return tsct_error_set(err, TSCT_ERR_VALUE, input, "q", -1,
                              "need at least 2 data points, found %lld", (long long)n);
    const double q_first = q[0], q_last = q[n - 1];
    /* A limit typed as a round number may pass the last point by less than a step (PDFgetX3
     * then uses the data up to their end); beyond that it is a mistake. */
    const double top = q_last + fabs(q[n - 1] - q[n - 2]) + 1e-12 * fabs(q_last);
    if (p->qmaxinst > top)
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "qmaxinst",
                              tsct_pdf_config_line(cfg, "qmaxinst"),
                              "qmaxinst = %g is above the data: %s ends at Q = %g 1/A",
                              p->qmaxinst, in, q_last);
    if (p->qmax > top)
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "qmax",
                              tsct_pdf_config_line(cfg, "qmax"),
                              "qmax = %g is above the data: %s ends at Q = %g 1/A", p->qmax,
                              in, q_last);
    if (!(p->qmin < q_last))
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "qmin",
                              tsct_pdf_config_line(cfg, "qmin"),
                              "qmin = %g is not below the end of the data: %s runs over "
                              "Q = %g .. %g 1/A", p->qmin, in, q_first, q_last);
    return TSCT_OK;
}

int64_t tsct_pdf_output_expand(const char *tmpl, const char *input, const char *ext, char *buf,
                               int64_t size)
{
    const char *slash = strrchr(input, '/');
    const char *tail = slash ? slash + 1 : input;
    const char *dot = strrchr(tail, '.');
    const int hlen = slash ? (int)(slash - input) : -1;
    const int rlen = dot ? (int)(dot - input) : (int)strlen(input);
    const int blen = dot ? (int)(dot - tail) : (int)strlen(tail);
    int64_t n = 0;
    if (size <= 0)
        return 0;
    buf[0] = '\0';
    for (const char *c = tmpl; *c && n < size - 1; c++) {
        char piece[2048];
        int w;
        if (c[0] != '@' || !c[1] || !strchr("fhretbo", c[1])) {
            piece[0] = *c;
            piece[1] = '\0';
            w = 1;
        } else {
            switch (*++c) {
            case 'f': w = snprintf(piece, sizeof piece, "%s", input); break;
            case 'h': w = hlen >= 0 ? snprintf(piece, sizeof piece, "%.*s", hlen, input)
                                    : snprintf(piece, sizeof piece, "."); break;
            case 'r': w = snprintf(piece, sizeof piece, "%.*s", rlen, input); break;
            case 'e': w = snprintf(piece, sizeof piece, "%s", dot ? dot + 1 : ""); break;
            case 't': w = snprintf(piece, sizeof piece, "%s", tail); break;
            case 'b': w = snprintf(piece, sizeof piece, "%.*s", blen, tail); break;
            default: w = snprintf(piece, sizeof piece, "%s", ext); break;
            }
        }
        if (w < 0)
            w = 0;
        int64_t room = size - 1 - n;
        int64_t take = w < room ? w : room;
        memcpy(buf + n, piece, (size_t)take);
        n += take;
        buf[n] = '\0';
    }
    return n;
}

int64_t tsct_pdf_config_format(const tsct_pdf_config *cfg, const char *version, char *buf,
                               int64_t size)
{
    const tsct_pdf_params *p = &cfg->params;
    char types[32] = "", wl[32] = "", scales[TSCT_PDF_MAX_BACKGROUNDS * 26] = "";
    char *inputs = malloc(TSCT_PDF_MAX_INPUTS * 1030);
    char *bgs = malloc(TSCT_PDF_MAX_BACKGROUNDS * 1030);
    if (!inputs || !bgs) {
        free(inputs);
        free(bgs);
        if (size > 0)
            buf[0] = '\0';
        return 0;
    }
    inputs[0] = bgs[0] = '\0';
    for (int i = 0; i < cfg->noutputtypes; i++) {
        size_t l = strlen(types);
        snprintf(types + l, sizeof types - l, "%s%s", i ? ", " : "", cfg->outputtypes[i]);
    }
    for (int i = 0; i < cfg->ninputfile; i++) {
        size_t l = strlen(inputs);
        snprintf(inputs + l, TSCT_PDF_MAX_INPUTS * 1030 - l, "%s%s", i ? "\n    " : "",
                 cfg->inputfile[i]);
    }
    for (int i = 0; i < cfg->nbackgroundfile; i++) {
        size_t l = strlen(bgs);
        snprintf(bgs + l, TSCT_PDF_MAX_BACKGROUNDS * 1030 - l, "%s%s", i ? "\n    " : "",
                 cfg->backgroundfile[i]);
    }
    const int ns = cfg->nbackgroundfile > 1 ? cfg->nbackgroundfile : 1;
    for (int i = 0; i < ns; i++) {
        size_t l = strlen(scales);
        snprintf(scales + l, sizeof scales - l, "%s%.17g", i ? ", " : "",
                 tsct_pdf_config_bgscale(cfg, i));
    }
    if (isfinite(cfg->wavelength))
        snprintf(wl, sizeof wl, "%.17g", cfg->wavelength);
    int n = snprintf(buf, (size_t)size,
                     "[DEFAULT]\n\n"
                     "version = %s\n\n"
                     "# input and output specifications\n"
                     "dataformat = %s\n"
                     "inputfile = %s\n"
                     "backgroundfile = %s\n"
                     "outputtype = %s\n\n"
                     "# PDF calculation setup\n"
                     "mode = %s\n"
                     "wavelength = %s\n"
                     "twothetazero = %.17g\n"
                     "composition = %s\n"
                     "bgscale = %s\n"
                     "rpoly = %.17g\n"
                     "qmaxinst = %.17g\n"
                     "qmin = %.17g\n"
                     "qmax = %.17g\n"
                     "rmin = %.17g\n"
                     "rmax = %.17g\n"
                     "rstep = %.17g\n"
                     "lorch = %s\n\n"
                     "# End of config "
                     "--------------------------------------------------------------\n",
                     version ? version : "", cfg->dataformat, inputs, bgs, types, cfg->mode, wl,
                     cfg->twothetazero, cfg->composition, scales, p->rpoly, p->qmaxinst,
                     p->qmin, p->qmax, p->rmin, p->rmax, p->rstep, p->lorch ? "yes" : "no");
    free(inputs);
    free(bgs);
    if (n < 0)
        return 0;
    return n < size ? n : size - 1;
}
