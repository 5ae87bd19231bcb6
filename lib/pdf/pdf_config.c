/* pdf_config.c - PDFgetX3 configuration files: read, set key by key, check, and write back.
 *
 * The syntax is Python's ConfigParser as PDFgetX3 uses it: sections in brackets, [DEFAULT]
 * first and always applied, "key = value" or "key: value", full-line comments, indented
 * continuation lines for multi-line values (inputfile lists). Unknown keys are errors, not
 * warnings: a misspelt "qmaxinst" silently ignored would change the PDF. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tsct/publish.h"
#include "tsct/composition.h"
#include "tsct/pdf.h"

void tsct_pdf_config_init(tsct_pdf_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->dataformat, sizeof cfg->dataformat, "QA");
    cfg->bgscale = 1.0;
    snprintf(cfg->outputtypes[0], sizeof cfg->outputtypes[0], "gr");
    cfg->noutputtypes = 1;
    snprintf(cfg->mode, sizeof cfg->mode, "xray");
    cfg->wavelength = NAN;
    cfg->params = (tsct_pdf_params)TSCT_PDF_PARAMS_DEFAULT;
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

/* Resolve a relative file name against the folder of the configuration file. */
static void resolve(char *dst, size_t size, const char *value, const char *cfgfile)
{
    const char *slash = cfgfile ? strrchr(cfgfile, '/') : NULL;
    if (!value[0] || value[0] == '/' || !slash)
        snprintf(dst, size, "%s", value);
    else
        snprintf(dst, size, "%.*s/%s", (int)(slash - cfgfile), cfgfile, value);
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

static int truth(const char *v)
{
    return !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
           !strcasecmp(v, "on");
}

static const char *const ignored_keys[] = {"version", "output", "force", "verbose",
                                           "plot", "interact", "datapath", NULL};

tsct_status tsct_pdf_config_set(tsct_pdf_config *cfg, const char *key, const char *value,
                                const char *file, int64_t line, tsct_error *err)
{
    tsct_pdf_params *p = &cfg->params;
    struct {
        const char *name;
        double *dst;
    } nums[] = {{"bgscale", &cfg->bgscale}, {"twothetazero", &cfg->twothetazero},
                {"wavelength", &cfg->wavelength}, {"qmaxinst", &p->qmaxinst},
                {"qmin", &p->qmin}, {"qmax", &p->qmax}, {"rmin", &p->rmin},
                {"rmax", &p->rmax}, {"rstep", &p->rstep}, {"rpoly", &p->rpoly}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        if (!strcmp(key, nums[i].name)) {
            if (!strcmp(key, "wavelength") && !value[0]) {
                cfg->wavelength = NAN;
                return TSCT_OK;
            }
            return number(value, nums[i].dst, file, key, line, err);
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
        if (strcmp(value, "xray"))
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                                  "only mode 'xray' is supported, found '%s'", value);
        snprintf(cfg->mode, sizeof cfg->mode, "%s", value);
        return TSCT_OK;
    }
    if (!strcmp(key, "composition")) {
        if (!value[0])
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                                  "empty composition: give the sample's formula, e.g. "
                                  "composition = Ni");
        tsct_composition *c = NULL;
        tsct_error e2 = TSCT_ERROR_INIT;
        if (tsct_composition_parse(&c, value, &e2) != TSCT_OK)
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line, "%s", e2.detail);
        tsct_composition_destroy(c);
        if (strlen(value) >= sizeof cfg->composition)
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line, "formula too long");
        snprintf(cfg->composition, sizeof cfg->composition, "%s", value);
        return TSCT_OK;
    }
    if (!strcmp(key, "backgroundfile")) {
        resolve(cfg->backgroundfile, sizeof cfg->backgroundfile, value, file);
        return TSCT_OK;
    }
    if (!strcmp(key, "inputfile")) {
        /* One file per line; a new assignment replaces the list. */
        cfg->ninputfile = 0;
        char buf[8192];
        snprintf(buf, sizeof buf, "%s", value);
        for (char *tok = strtok(buf, "\n"); tok; tok = strtok(NULL, "\n")) {
            char *t = trim(tok);
            if (!*t)
                continue;
            if (cfg->ninputfile == 64)
                return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                                      "more than 64 input files; give them on the command line");
            resolve(cfg->inputfile[cfg->ninputfile], sizeof cfg->inputfile[0], t, file);
            cfg->ninputfile++;
        }
        return TSCT_OK;
    }
    if (!strcmp(key, "outputtype") || !strcmp(key, "outputtypes")) {
        static const char *const types[] = {"iq", "sq", "fq", "gr"};
        int want[4] = {0, 0, 0, 0};
        char buf[256];
        snprintf(buf, sizeof buf, "%s", value);
        for (char *tok = strtok(buf, ", \t"); tok; tok = strtok(NULL, ", \t")) {
            if (!strcasecmp(tok, "none"))
                continue;
            int k = -1;
            for (int i = 0; i < 4; i++)
                if (!strcmp(tok, types[i]))
                    k = i;
            if (k < 0)
                return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                                      "expected iq, sq, fq or gr, found '%s'", tok);
            want[k] = 1;
        }
        cfg->noutputtypes = 0;
        for (int i = 0; i < 4; i++)
            if (want[i])
                snprintf(cfg->outputtypes[cfg->noutputtypes++], 4, "%s", types[i]);
        return TSCT_OK;
    }
    if (!strcmp(key, "lorch")) {
        p->lorch = truth(value);
        if (!p->lorch && !(!strcmp(value, "0") || !strcasecmp(value, "no") ||
                           !strcasecmp(value, "false") || !strcasecmp(value, "off")))
            return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                                  "expected yes or no, found '%s'", value);
        return TSCT_OK;
    }
    for (int i = 0; ignored_keys[i]; i++)
        if (!strcmp(key, ignored_keys[i]))
            return TSCT_OK;
    return tsct_error_set(err, TSCT_ERR_VALUE, file, key, line,
                          "unknown key '%s' (PDFgetX3 keys: dataformat, inputfile, "
                          "backgroundfile, bgscale, twothetazero, outputtype, mode, wavelength, "
                          "composition, qmaxinst, qmin, qmax, rmin, rmax, rstep, rpoly; tsct: "
                          "lorch)", key);
}

/* One pass over the file applying section `want`; *found is set when it occurs. */
static tsct_status apply_section(tsct_pdf_config *cfg, const char *path, FILE *fp,
                                 const char *want, int *found, tsct_error *err)
{
    char line[4096], key[128] = "", value[8192] = "";
    int64_t lineno = 0, keyline = 0;
    int active = 0, pending = 0, insection = 0, inkey = 0;
    rewind(fp);
    for (;;) {
        char *got = fgets(line, sizeof line, fp);
        if (got)
            lineno++;
        int continuation = got && (line[0] == ' ' || line[0] == '\t') && trim(line)[0] &&
                           inkey;
        if (continuation) {
            /* Value continues on an indented line (inputfile lists); of a key in another
             * section, it is skipped with its key. */
            size_t l = strlen(value);
            if (pending)
                snprintf(value + l, sizeof value - l, "\n%s", trim(line));
            continue;
        }
        inkey = 0;
        if (pending) {
            tsct_status st = tsct_pdf_config_set(cfg, key, value, path, keyline, err);
            pending = 0;
            if (st != TSCT_OK)
                return st;
        }
        if (!got)
            break;
        char *s = trim(line);
        /* PDFgetX3's output files are configurations up to their data. */
        if (!strncmp(s, "#### start data", 15))
            break;
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (!e)
                return tsct_error_set(err, TSCT_ERR_VALUE, path, "section", lineno,
                                      "expected [NAME], found '%s'", s);
            *e = '\0';
            insection = 1;
            active = !strcmp(s + 1, want);
            if (active)
                *found = 1;
            continue;
        }
        size_t kl = strcspn(s, "=:");
        if (!s[kl])
            return tsct_error_set(err, TSCT_ERR_VALUE, path, s, lineno,
                                  "expected 'key = value', found '%s'", s);
        if (!insection)
            return tsct_error_set(err, TSCT_ERR_VALUE, path, s, lineno,
                                  "a key before any section: start the file with [DEFAULT]");
        inkey = 1;
        if (!active)
            continue;
        s[kl] = '\0';
        snprintf(key, sizeof key, "%s", trim(s));
        for (char *c = key; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        snprintf(value, sizeof value, "%s", trim(s + kl + 1));
        keyline = lineno;
        pending = 1;
    }
    return TSCT_OK;
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
    if (st == TSCT_OK)
        snprintf(cfg->source, sizeof cfg->source, "%s", path);
    return st;
}

tsct_status tsct_pdf_config_check(const tsct_pdf_config *cfg, tsct_error *err)
{
    const char *file = cfg->source[0] ? cfg->source : NULL;
    if (!cfg->composition[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "composition", -1,
                              "no composition: set composition = FORMULA (e.g. Ni, CeO2)");
    if (!strcmp(cfg->dataformat, "twotheta") && !(cfg->wavelength > 0))
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "wavelength", -1,
                              "dataformat twotheta needs the wavelength in Angstrom");
    if (strcmp(cfg->mode, "xray"))
        return tsct_error_set(err, TSCT_ERR_VALUE, file, "mode", -1,
                              "only mode xray is supported, found '%s'", cfg->mode);
    return TSCT_OK;
}

int64_t tsct_pdf_config_format(const tsct_pdf_config *cfg, const char *version, char *buf,
                               int64_t size)
{
    const tsct_pdf_params *p = &cfg->params;
    char types[32] = "", inputs[4096] = "", wl[32] = "";
    for (int i = 0; i < cfg->noutputtypes; i++) {
        size_t l = strlen(types);
        snprintf(types + l, sizeof types - l, "%s%s", i ? ", " : "", cfg->outputtypes[i]);
    }
    for (int i = 0; i < cfg->ninputfile; i++) {
        size_t l = strlen(inputs);
        snprintf(inputs + l, sizeof inputs - l, "%s%s", i ? "\n    " : "", cfg->inputfile[i]);
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
                     "bgscale = %.17g\n"
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
                     version ? version : "", cfg->dataformat, inputs, cfg->backgroundfile,
                     types, cfg->mode, wl, cfg->twothetazero, cfg->composition, cfg->bgscale,
                     p->rpoly, p->qmaxinst, p->qmin, p->qmax, p->rmin, p->rmax, p->rstep,
                     p->lorch ? "yes" : "no");
    if (n < 0)
        return 0;
    return n < size ? n : size - 1;
}
