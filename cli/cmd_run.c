/* cmd_run.c - `tsct run PIPELINE.cfg`: every step of an experiment from one configuration.
 *
 * The configuration is an INI file: [experiment] names the container, [frames] the detector
 * frames and the scan (or the simulator's scan.ini), and one section per step holds that
 * step's options, written as the long options of its own command without the dashes
 * (`filter = trimmed:10,90` in [integrate] is `tsct integrate --filter trimmed:10,90`). Each
 * step runs in this process through its command's own code, so a pipeline and a hand-typed
 * command line do exactly the same thing.
 *
 * Incremental: every step records a fingerprint of its inputs (the end times of the steps it
 * reads) and settings in /entry/process/STEP; `tsct run` sets skip_current, and a step whose
 * record matches leaves at once. A changed setting re-runs that step, which changes the
 * inputs of every step after it. New frame files of an operando experiment are integrated
 * alone and appended (--time-offset); sinogram, recon, pdf, map and fit then compute only
 * the new time steps (their inputs' time stamps, see tsct_step_reusable_time_steps). An
 * interrupted step resumes from its work file. A failing step stops the run and names it;
 * what earlier steps wrote stays.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tsct/ini.h"
#include "tsct/publish.h"

const char tsct_usage_run[] =
    "usage: tsct run PIPELINE.cfg [--force] [--watch [SECONDS]] [--until N]\n"
    "       tsct run --template\n"
    "\n"
    "Run every step of an experiment as PIPELINE.cfg describes (docs/pipeline.md): integrate\n"
    "the frames into the container, then sinogram, recon, pdf, map, coverage (and the steps\n"
    "that have a section). Steps whose inputs and settings have not changed since their\n"
    "record in /entry/process are skipped; an interrupted step resumes; new frame files of an\n"
    "operando experiment are integrated and appended, and the steps after integration\n"
    "compute only the new time steps. A failing step stops the run and names\n"
    "the step; earlier results stay. Paths in the file are relative to its folder.\n"
    "\n"
    "Options:\n"
    "      --template          print a commented configuration and exit\n"
    "      --force             run every step even when it is up to date\n"
    "      --watch [SECONDS]   keep polling for new frame files (default every 10 s) and\n"
    "                          process each new time step as it arrives; stop with Ctrl-C\n"
    "      --until N           with --watch: stop once N time steps are processed\n"
    "      --dry-run           print the command of every step and exit\n";

static const char template_text[] =
    "# tsct pipeline (tsct run PIPELINE.cfg). Paths are relative to this file's folder.\n"
    "# A step section holds the long options of its command without the dashes:\n"
    "# 'filter = trimmed:10,90' in [integrate] is 'tsct integrate --filter trimmed:10,90'.\n"
    "# 'yes' gives a flag ('zigzag = yes' is --zigzag), 'no' leaves it out; a key given\n"
    "# several times gives the option several times. 'enabled = no' skips a section.\n"
    "# Steps run in this order: integrate, sinogram, recon, pdf, map, coverage, figure.\n"
    "\n"
    "[experiment]\n"
    "container = experiment.h5        # the HDF5 container (created by the first step)\n"
    "\n"
    "[frames]\n"
    "# The detector frames: one HDF5 stack (or folder of CBF / EDF files) per time step, as\n"
    "# `tsct simulate --level frames` writes them (scan.ini describes everything), or the\n"
    "# keys below for other data.\n"
    "scan = frames/scan.ini\n"
    "# frames = frames/frames_t%04d.h5   # printf pattern of the time step's file, or of its\n"
    "#                                   # folder of CBF / EDF files (frames/frames_t%04d)\n"
    "# dataset = /entry/data/data        # the stack [frame][row][col] inside each file\n"
    "# monitor = /entry/instrument/monitor/data   # per-frame normalisation (optional)\n"
    "# monitor_header = Flux             # or: the header item holding it (CBF / EDF)\n"
    "# transmission = /entry/instrument/transmission/data   # the sample's transmission per\n"
    "# transmission_header = Transmission  # frame (or header item), for [sinogram] normalise\n"
    "# poni = frames/detector.poni\n"
    "# mask = frames/mask.edf   dark =   flat =\n"
    "# slices = 1   angles = 61   angle_range = 180   translations = 110\n"
    "# translation_step = 0.01   zigzag = 1   npt = 2000   qmin = 0.5   qmax = 10\n"
    "# polarization = 0.99\n"
    "\n"
    "[integrate]\n"
    "filter = trimmed:10,90           # remove single-crystal spots (10 % trimmed mean)\n"
    "\n"
    "[sinogram]\n"
    "# air = 4                        # translations at each edge taken as air\n"
    "# normalise = transmission       # divide by the sample's transmission at every point\n"
    "\n"
    "[recon]\n"
    "# method = fbp                   # fbp, sirt, cgls\n"
    "\n"
    "# [pdf]\n"
    "# config = pdf.cfg               # PDFgetX3 configuration (composition, qmax, rpoly, ...)\n"
    "# rstep = 0.2\n"
    "\n"
    "[map]\n"
    "window = BiVO4=1.29:1.42         # peak area, linear background from the window edges\n"
    "window = Bi=2.715:2.805\n"
    "total = total                    # total scattered intensity\n"
    "\n"
    "[coverage]\n"
    "map = BiVO4\n"
    "output = coverage_BiVO4.csv\n";

/* ---- the configuration ------------------------------------------------------------------ */

/* The configuration is read by the library's INI reader (include/tsct/ini.h): entries with
 * their lines, bounds checked, never used as formats. */
typedef tsct_ini config;
typedef tsct_ini_entry entry;

#define config_get tsct_ini_get
#define config_has_section tsct_ini_has_section
#define config_free tsct_ini_release

static tsct_status config_read(const char *path, config *c, tsct_error *err)
{
    return tsct_ini_read(c, path, err);
}

/* A path from the configuration, relative to its folder unless absolute (cut to size - 1
 * bytes if longer, which no real path is). */
static void resolve(const config *c, const char *value, char *buf, size_t size)
{
    int n = value[0] == '/' || strcmp(c->dir, ".") == 0
                ? snprintf(buf, size, "%s", value)
                : snprintf(buf, size, "%s/%s", c->dir, value);
    if (n < 0 || (size_t)n >= size)
        buf[size - 1] = '\0';
}

/* ---- argument vectors ------------------------------------------------------------------- */

typedef struct args {
    char *v[512];
    int n;
    char store[64][PATH_MAX]; /* resolved paths and formatted numbers */
    int nstore;
} args;

static int args_add(args *a, const char *s)
{
    if (a->n >= (int)(sizeof a->v / sizeof a->v[0]) - 1)
        return -1;
    a->v[a->n++] = (char *)s;
    a->v[a->n] = NULL;
    return 0;
}

/* Adds a copy (for text that does not outlive the caller). */
static int args_addf(args *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int args_addf(args *a, const char *fmt, ...)
{
    if (a->nstore >= (int)(sizeof a->store / sizeof a->store[0]))
        return -1;
    char *s = a->store[a->nstore++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s, PATH_MAX, fmt, ap);
    va_end(ap);
    return args_add(a, s);
}

/* Option keys whose values are files, resolved against the configuration's folder. */
static int is_path_key(const char *key)
{
    static const char *const keys[] = {"config", "output", "poni", "mask", "dark", "flat",
                                       "definitions", "components", "echem", "file",
                                       "mask-file", NULL};
    for (int i = 0; keys[i]; i++)
        if (strcmp(key, keys[i]) == 0)
            return 1;
    return 0;
}

/* A file named inside an option value: ticks = NAME=FILE[:COLOUR], unmix = NAME=KIND:FILE[:...]
 * (cif, nano, xy). The FILE part is resolved against the configuration's folder when a file
 * is there; otherwise it stays as written (the command searches its structure folders). */
static void resolve_embedded(const config *c, const char *key, const char *w, char *buf,
                             size_t size)
{
    snprintf(buf, size, "%s", w);
    const char *eq = strchr(w, '=');
    if (!eq || (strcmp(key, "ticks") != 0 && strcmp(key, "unmix") != 0))
        return;
    const char *file = eq + 1;
    if (strcmp(key, "unmix") == 0) {
        const char *colon = strchr(file, ':');
        if (!colon || (strncmp(file, "cif:", 4) != 0 && strncmp(file, "nano:", 5) != 0 &&
                       strncmp(file, "xy:", 3) != 0))
            return;
        file = colon + 1;
    }
    /* xy:FILE takes the rest; the others end at the next ':' */
    const size_t len = strncmp(eq + 1, "xy:", 3) == 0 ? strlen(file) : strcspn(file, ":");
    char name[PATH_MAX], cand[PATH_MAX];
    if (len == 0 || file[0] == '/' || len >= sizeof name)
        return;
    memcpy(name, file, len);
    name[len] = '\0';
    resolve(c, name, cand, sizeof cand);
    if (strcmp(c->dir, ".") == 0 || access(cand, R_OK) != 0)
        return;
    int n = snprintf(buf, size, "%.*s%s%s", (int)(file - w), w, cand, file + len);
    if (n < 0 || (size_t)n >= size) /* too long to resolve: as written */
        snprintf(buf, size, "%s", w);
}

/* The options of a step section, checked against the command's usage text. */
static tsct_status section_options(const config *c, const char *section,
                                   const tsct_cli_command *cmd, args *a, tsct_error *err)
{
    for (int64_t i = 0; i < c->n; i++) {
        const entry *e = &c->e[i];
        if (strcmp(e->section, section) != 0 || strcmp(e->key, "enabled") == 0)
            continue;
        if (strcmp(section, "echem") == 0 && strcmp(e->key, "file") == 0) {
            char path[PATH_MAX];
            resolve(c, e->value, path, sizeof path);
            if (args_addf(a, "%s", path) != 0)
                return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->key, e->line,
                                      "too many options");
            continue;
        }
        char opt[80];
        snprintf(opt, sizeof opt, "--%s", e->key);
        const char *hit = strstr(cmd->usage, opt);
        const char after = hit ? hit[strlen(opt)] : 0;
        if (!hit || (after != ' ' && after != '\n' && after != ',' && after != '='))
            return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->key, e->line,
                                  "line %lld: [%s] %s: 'tsct %s' has no option %s",
                                  (long long)e->line,
                                  section, e->key, cmd->name, opt);
        if (strcmp(e->value, "no") == 0 || strcmp(e->value, "false") == 0)
            continue;
        if (args_addf(a, "%s", opt) != 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->key, e->line, "too many options");
        if (strcmp(e->value, "yes") == 0 || strcmp(e->value, "true") == 0)
            continue;
        /* Several words are several arguments (--radial-range 0.5 10). */
        char value[2048];
        snprintf(value, sizeof value, "%s", e->value);
        for (char *save = NULL, *w = strtok_r(value, " \t", &save); w;
             w = strtok_r(NULL, " \t", &save)) {
            char path[PATH_MAX];
            if (is_path_key(e->key))
                resolve(c, w, path, sizeof path);
            else
                resolve_embedded(c, e->key, w, path, sizeof path);
            if (args_addf(a, "%s", path) != 0)
                return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->key, e->line,
                                      "too many options");
        }
    }
    return TSCT_OK;
}

/* ---- the frames ------------------------------------------------------------------------- */

/* The frame description: [frames] keys over scan.ini's (whose paths are relative to it). */
typedef struct frames_desc {
    char pattern[PATH_MAX], dataset[256], monitor[256], monitor_header[64], transmission[256],
        transmission_header[64], poni[PATH_MAX], mask[PATH_MAX], dark[PATH_MAX], flat[PATH_MAX];
    char slices[32], angles[32], angle_range[32], translations[32], translation_step[32],
        zigzag[8], npt[32], qmin[64], qmax[64], polarization[32];
    /* The time-step field of pattern: its offset (-1: none, one time step), its length in
     * the pattern, the printed width and whether it is zero-padded. */
    int64_t field_at, field_len;
    int width, zero;
} frames_desc;

/* The frames pattern: literal text with at most one time-step field, %d, %Nd or %0Nd (N <=
 * 9), and %% for a percent sign; anything else is refused, for a configuration value is
 * never used as a format. Without a field the pattern names the one time step there is. */
static tsct_status frames_pattern_parse(frames_desc *fd, const char *cfg_path, tsct_error *err)
{
    const char *p = fd->pattern;
    fd->field_at = -1;
    for (int64_t i = 0; p[i]; i++) {
        if (p[i] != '%')
            continue;
        if (p[i + 1] == '%') {
            i++;
            continue;
        }
        int64_t j = i + 1;
        const int zero = p[j] == '0';
        j += zero;
        int width = 0, digits = 0;
        while (p[j] >= '0' && p[j] <= '9' && digits < 2) {
            width = 10 * width + (p[j++] - '0');
            digits++;
        }
        if (p[j] != 'd' || width > 9 || fd->field_at >= 0)
            return tsct_error_set(err, TSCT_ERR_VALUE, cfg_path, "frames", -1,
                                  "'%s': expected literal text with at most one time-step "
                                  "field %%d, %%4d or %%04d (and %%%% for a percent sign)",
                                  p);
        fd->field_at = i;
        fd->field_len = j + 1 - i;
        fd->width = width;
        fd->zero = zero;
        i = j;
    }
    return TSCT_OK;
}

/* The keys of [frames] in a pipeline file and of [scan] in the simulator's scan.ini, with
 * what each value may be. */
typedef enum { V_TEXT, V_PATH, V_H5PATH, V_PATTERN, V_INT, V_REAL, V_BOOL, V_RANGE,
               V_FORMAT } value_kind;
static const struct scan_key {
    const char *key;
    value_kind kind;
    double min, max;
    int scan_ini_only;
} scan_keys[] = {
    {"scan", V_PATH, 0, 0, 0},          {"frames", V_PATTERN, 0, 0, 0},
    {"dataset", V_H5PATH, 0, 0, 0},     {"monitor", V_H5PATH, 0, 0, 0},
    {"monitor_header", V_TEXT, 0, 0, 0}, {"transmission", V_H5PATH, 0, 0, 0},
    {"transmission_header", V_TEXT, 0, 0, 0},
    {"poni", V_PATH, 0, 0, 0},          {"mask", V_PATH, 0, 0, 0},
    {"dark", V_PATH, 0, 0, 0},          {"flat", V_PATH, 0, 0, 0},
    {"time_steps", V_INT, 1, 1e9, 0},   {"slices", V_INT, 1, 1 << 24, 0},
    {"angles", V_INT, 2, 1 << 24, 0},   {"angle_range", V_RANGE, 0, 0, 0},
    {"translations", V_INT, 2, 1 << 24, 0}, {"translation_step", V_REAL, 1e-12, 1e6, 0},
    {"zigzag", V_BOOL, 0, 0, 0},        {"npt", V_INT, 2, 1 << 24, 0},
    {"qmin", V_REAL, 0, 1e4, 0},        {"qmax", V_REAL, 1e-6, 1e4, 0},
    {"polarization", V_REAL, -1, 1, 0}, {"wavelength", V_REAL, 1e-4, 1e3, 0},
    {"energy_kev", V_REAL, 1e-2, 1e5, 0},
    {"format", V_FORMAT, 0, 0, 1},      {"frame_files", V_PATTERN, 0, 0, 1},
    {"counts", V_REAL, 1e-300, 1e300, 1},
};

/* Check every key of section (frames / scan) of c: known, and its value of its kind. */
static tsct_status scan_values_check(const config *c, const char *section, int scan_ini,
                                     tsct_error *err)
{
    static const char *const formats[] = {"h5", "hdf5", "nxs", "cbf", "edf", "tif", "tiff",
                                          "npy", NULL};
    double qmin = -1, qmax = -1;
    for (int64_t i = 0; i < c->n; i++) {
        const entry *e = &c->e[i];
        if (strcmp(e->section, section) != 0)
            continue;
        const struct scan_key *k = NULL;
        for (size_t j = 0; j < sizeof scan_keys / sizeof scan_keys[0] && !k; j++)
            if (strcmp(e->key, scan_keys[j].key) == 0 && (scan_ini || !scan_keys[j].scan_ini_only))
                k = &scan_keys[j];
        if (!k) {
            char list[800] = "";
            size_t used = 0;
            for (size_t j = 0; j < sizeof scan_keys / sizeof scan_keys[0]; j++)
                if (scan_ini || !scan_keys[j].scan_ini_only)
                    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                             used ? ", " : "", scan_keys[j].key);
            return tsct_ini_error(c, e, TSCT_ERR_VALUE, err, "unknown key; [%s] knows %s",
                                  section, list);
        }
        int64_t iv;
        double dv;
        int bv;
        if (!e->value[0] && k->kind != V_TEXT && k->kind != V_H5PATH && k->kind != V_PATH)
            return tsct_ini_error(c, e, TSCT_ERR_VALUE, err, "expected a value");
        switch (k->kind) {
        case V_TEXT:
            if (strpbrk(e->value, " \t=;:"))
                return tsct_ini_error(c, e, TSCT_ERR_VALUE, err,
                                      "expected a header key (one word)");
            break;
        case V_PATH: break;
        case V_H5PATH:
            if (e->value[0] && e->value[0] != '/')
                return tsct_ini_error(c, e, TSCT_ERR_VALUE, err,
                                      "expected an HDF5 path starting with '/' (or nothing)");
            break;
        case V_PATTERN: {
            frames_desc fd;
            snprintf(fd.pattern, sizeof fd.pattern, "%s", e->value);
            tsct_status st = frames_pattern_parse(&fd, c->path, err);
            if (st != TSCT_OK)
                return st;
            break;
        }
        case V_INT:
            TSCT_TRY(tsct_ini_value_int(c, e, (int64_t)k->min, (int64_t)k->max, &iv, err));
            break;
        case V_REAL:
            TSCT_TRY(tsct_ini_value_double(c, e, k->min, k->max, &dv, err));
            if (strcmp(e->key, "qmin") == 0)
                qmin = dv;
            if (strcmp(e->key, "qmax") == 0)
                qmax = dv;
            break;
        case V_BOOL: TSCT_TRY(tsct_ini_value_bool(c, e, &bv, err)); break;
        case V_RANGE:
            TSCT_TRY(tsct_ini_value_double(c, e, 0, 360, &dv, err));
            if (dv != 180.0 && dv != 360.0)
                return tsct_ini_error(c, e, TSCT_ERR_VALUE, err,
                                      "expected 180 or 360 (degrees scanned)");
            break;
        case V_FORMAT: {
            int f;
            TSCT_TRY(tsct_ini_value_enum(c, e, formats, &f, err));
            break;
        }
        }
    }
    if (qmin >= 0 && qmax >= 0 && !(qmax > qmin))
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, "qmax", -1,
                              "[%s] qmax = %g must be above qmin = %g", section, qmax, qmin);
    return TSCT_OK;
}

static tsct_status frames_describe(const config *c, frames_desc *fd, tsct_error *err)
{
    memset(fd, 0, sizeof *fd);
    config scan = {0};
    const char *scan_path = config_get(c, "frames", "scan");
    if (scan_path) {
        char p[PATH_MAX];
        resolve(c, scan_path, p, sizeof p);
        TSCT_TRY(config_read(p, &scan, err));
        tsct_status st = scan_values_check(&scan, "scan", 1, err);
        for (int64_t i = 0; st == TSCT_OK && i < scan.n; i++)
            if (strcmp(scan.e[i].section, "scan") != 0)
                st = tsct_ini_error(&scan, &scan.e[i], TSCT_ERR_VALUE, err,
                                    "unknown section [%s]; a scan.ini has [scan] only",
                                    scan.e[i].section);
        if (st != TSCT_OK) {
            config_free(&scan);
            return st;
        }
    }
    static const struct {
        const char *key;
        size_t off, size;
        int path;
    } keys[] = {
#define K(name, path) {#name, offsetof(frames_desc, name), sizeof(((frames_desc *)0)->name), path}
        K(dataset, 0), K(monitor, 0), K(monitor_header, 0), K(transmission, 0),
        K(transmission_header, 0), K(poni, 1), K(mask, 1), K(dark, 1), K(flat, 1),
        K(slices, 0), K(angles, 0), K(angle_range, 0), K(translations, 0),
        K(translation_step, 0), K(zigzag, 0), K(npt, 0), K(qmin, 0), K(qmax, 0),
        K(polarization, 0),
#undef K
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *dst = (char *)fd + keys[i].off;
        const char *v = config_get(c, "frames", keys[i].key);
        const config *from = c;
        if (!v && scan_path) {
            v = config_get(&scan, "scan", keys[i].key);
            from = &scan;
        }
        if (v && *v) {
            if (keys[i].path)
                resolve(from, v, dst, keys[i].size);
            else
                snprintf(dst, keys[i].size, "%s", v);
        }
    }
    const char *pat = config_get(c, "frames", "frames");
    const config *from = c;
    if (!pat && scan_path) {
        pat = config_get(&scan, "scan", "frames");
        from = &scan;
    }
    if (pat)
        resolve(from, pat, fd->pattern, sizeof fd->pattern);
    config_free(&scan);
    const char *missing = !fd->pattern[0]        ? "frames"
                          : !fd->poni[0]         ? "poni"
                          : !fd->angles[0]       ? "angles"
                          : !fd->translations[0] ? "translations"
                                                 : NULL;
    if (missing)
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, missing, -1,
                              "[frames] needs '%s' (or a scan = scan.ini that has it)", missing);
    if (!fd->dataset[0])
        snprintf(fd->dataset, sizeof fd->dataset, "/entry/data/data");
    TSCT_TRY(frames_pattern_parse(fd, c->path, err));
    /* The folder that holds (or will hold) the frames must exist: a mistyped path is an
     * error, not "no frames yet". */
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", fd->pattern);
    char *slash = strrchr(dir, '/');
    if (slash) {
        slash[slash == dir ? 1 : 0] = '\0';
        struct stat sb;
        if (strchr(dir, '%') == NULL && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
            return tsct_error_set(err, TSCT_ERR_NOT_FOUND, c->path, "frames", -1,
                                  "the folder '%s' of the frames does not exist", dir);
    }
    return TSCT_OK;
}

/* The path of time step t's frame file (the pattern checked by frames_pattern_parse). */
static void frame_file(const frames_desc *fd, int64_t t, char *buf, size_t size)
{
    size_t o = 0;
    const char *p = fd->pattern;
    for (int64_t i = 0; p[i] && o + 1 < size; i++) {
        if (i == fd->field_at) {
            char num[32];
            int n = fd->zero ? snprintf(num, sizeof num, "%0*lld", fd->width, (long long)t)
                             : snprintf(num, sizeof num, "%*lld", fd->width, (long long)t);
            for (int k = 0; k < n && o + 1 < size; k++)
                buf[o++] = num[k];
            i += fd->field_len - 1;
        } else {
            buf[o++] = p[i];
            i += p[i] == '%'; /* %% */
        }
    }
    buf[o] = '\0';
}

/* Time steps whose frame files exist, counted from 0 without gaps (a pattern without a
 * time-step field has one, or none). */
static int64_t frames_available(const frames_desc *fd)
{
    char p[PATH_MAX];
    if (fd->field_at < 0) {
        frame_file(fd, 0, p, sizeof p);
        return access(p, R_OK) == 0;
    }
    for (int64_t t = 0;; t++) {
        frame_file(fd, t, p, sizeof p);
        if (access(p, R_OK) != 0)
            return t;
    }
}

/* Time steps in /entry/integrated of the container (0 if none or no container). */
static int64_t integrated_steps(const char *container)
{
    if (access(container, F_OK) != 0)
        return 0;
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    int64_t shape[8] = {0}, nt = 0;
    if (tsct_container_open(container, TSCT_OPEN_READ, &c, NULL) != TSCT_OK)
        return 0;
    if (tsct_container_exists(c, TSCT_PATH_INTEGRATED) &&
        tsct_dataset_open(c, TSCT_PATH_INTEGRATED, &d, NULL) == TSCT_OK) {
        if (tsct_dataset_shape(d, shape) == 5)
            nt = shape[0];
        tsct_dataset_close(d);
    }
    tsct_container_close(c, NULL);
    return nt;
}

/* ---- steps ------------------------------------------------------------------------------ */

/* Steps in the order they run; `container` says how the container is passed. */
static const struct step_def {
    const char *section, *command, *kind; /* kind: a first argument before the container */
    enum { POSITIONAL, OPTION } container;
    int default_on; /* runs without a section (sinogram, recon) */
} steps[] = {
    {"integrate", "integrate", NULL, OPTION, 0}, {"sinogram", "sinogram", NULL, POSITIONAL, 1},
    {"recon", "recon", NULL, POSITIONAL, 1},     {"echem", "echem", NULL, POSITIONAL, 0},
    /* [echem] file = EXPORT.csv is the command's second argument (see section_options) */
    {"region", "region", NULL, POSITIONAL, 0},   {"pdf", "pdf", NULL, OPTION, 0},
    {"map", "map", NULL, POSITIONAL, 0},         {"fit", "fit", "peak", POSITIONAL, 0},
    {"particles", "particles", NULL, POSITIONAL, 0},
    {"coverage", "coverage", NULL, POSITIONAL, 0}, {"figures", "figure", "all", POSITIONAL, 0},
};

/* The end time of /entry/process/NAME ("" if none). */
static void record_end(const char *container, const char *name, char *buf, size_t size)
{
    buf[0] = '\0';
    tsct_container *c = NULL;
    if (access(container, F_OK) != 0 ||
        tsct_container_open(container, TSCT_OPEN_READ, &c, NULL) != TSCT_OK)
        return;
    char path[256];
    snprintf(path, sizeof path, TSCT_PATH_PROCESS "/%s", name);
    if (tsct_container_exists(c, path))
        tsct_container_get_attr_string(c, path, "end_time", buf, size, NULL);
    tsct_container_close(c, NULL);
}

struct run_state {
    const tsct_cli *cli;
    const config *cfg;
    char container[PATH_MAX];
    int force, dry_run;
    int nran, nskipped;
    double seconds;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Run one command in this process. `record` is its /entry/process name (to tell a run
 * from a skip). Returns the command's exit code. */
static int run_command(struct run_state *rs, const char *label, const char *record, args *a)
{
    const tsct_cli_command *cmd = tsct_cli_find_command(a->v[0]);
    tsct_cli sub = *rs->cli;
    sub.command = cmd->name;
    sub.skip_current = !rs->force;
    int used = snprintf(sub.command_line, sizeof sub.command_line, "tsct");
    for (int i = 0; i < a->n && used < (int)sizeof sub.command_line; i++)
        used += snprintf(sub.command_line + used, sizeof sub.command_line - (size_t)used, " %s",
                         a->v[i]);
    if (rs->dry_run) {
        printf("%s\n", sub.command_line);
        return TSCT_EXIT_OK;
    }
    char before[64], after[64];
    record_end(rs->container, record, before, sizeof before);
    tsct_log_msg(&rs->cli->log, TSCT_LOG_DEBUG, "run: %s", sub.command_line);
    /* Each step is a command of its own under the write rule, except that a pipeline owns
     * its outputs: a step that runs again replaces what it wrote before. */
    tsct_publish_forget_inputs();
    tsct_publish_set_replace(1);
    const double t0 = now_s();
    int rc = cmd->run(&sub, a->n, a->v);
    const double dt = now_s() - t0;
    if (rc != TSCT_EXIT_OK) {
        fprintf(stderr, "tsct run: step %s failed (exit %d): %s\n", label, rc, sub.command_line);
        return rc;
    }
    record_end(rs->container, record, after, sizeof after);
    const int ran = !after[0] || strcmp(before, after) != 0; /* no record: always runs */
    fprintf(stderr, "tsct run: %-10s %s (%.1f s)\n", label, ran ? "done" : "up to date", dt);
    if (ran)
        rs->nran++;
    else
        rs->nskipped++;
    rs->seconds += dt;
    return TSCT_EXIT_OK;
}

/* The integrate step: the time steps whose frames are not yet in the container. */
static int run_integrate(struct run_state *rs, int64_t *available)
{
    tsct_error err = TSCT_ERROR_INIT;
    frames_desc fd;
    if (frames_describe(rs->cfg, &fd, &err) != TSCT_OK)
        return tsct_cli_fail(rs->cli, &err);
    const int64_t n = frames_available(&fd);
    *available = n;
    if (n == 0) {
        char p[PATH_MAX];
        frame_file(&fd, 0, p, sizeof p);
        fprintf(stderr, "tsct run: no frames yet (%s does not exist)\n", p);
        return TSCT_EXIT_OK;
    }
    /* The integrate settings, to notice a change (then everything is integrated again). */
    args a = {0};
    args_add(&a, "integrate");
    const tsct_cli_command *cmd = tsct_cli_find_command("integrate");
    if (section_options(rs->cfg, "integrate", cmd, &a, &err) != TSCT_OK)
        return tsct_cli_fail(rs->cli, &err);
    char settings[4096];
    int used = snprintf(settings, sizeof settings,
                        "%s %s %s%s%s%s%s%s%s %s %s %s %s %s %s %s %s %s %s",
                        fd.pattern, fd.dataset, fd.monitor,
                        fd.monitor_header[0] ? " header:" : "", fd.monitor_header,
                        fd.transmission[0] || fd.transmission_header[0] ? " transmission:" : "",
                        fd.transmission, fd.transmission_header[0] ? " header:" : "",
                        fd.transmission_header, fd.poni,
                        fd.mask, fd.dark, fd.flat,
                        fd.slices, fd.angles, fd.translations, fd.npt, fd.qmin, fd.qmax);
    for (int i = 1; i < a.n && used < (int)sizeof settings; i++)
        used += snprintf(settings + used, sizeof settings - (size_t)used, " %s", a.v[i]);
    int64_t done = integrated_steps(rs->container);
    if (done > 0) {
        char old[4096] = "";
        tsct_container *c = NULL;
        if (tsct_container_open(rs->container, TSCT_OPEN_READ, &c, NULL) == TSCT_OK) {
            tsct_container_get_attr_string(c, TSCT_PATH_PROCESS "/integrate", "run_settings", old,
                                           sizeof old, NULL);
            tsct_container_close(c, NULL);
        }
        if (strcmp(old, settings) != 0 || rs->force) {
            tsct_log_msg(&rs->cli->log, TSCT_LOG_INFO, "run: integration settings %s: all %lld "
                         "time steps are integrated again", rs->force ? "forced" : "changed",
                         (long long)n);
            done = 0;
        }
    }
    if (done >= n) {
        fprintf(stderr, "tsct run: %-10s up to date (%lld time steps)\n", "integrate",
                (long long)done);
        rs->nskipped++;
        return TSCT_EXIT_OK;
    }
    /* The frames of time steps done .. n-1, then the scan. */
    args_add(&a, "--container");
    args_add(&a, rs->container);
    for (int64_t t = done; t < n; t++) {
        char p[PATH_MAX];
        frame_file(&fd, t, p, sizeof p);
        /* A time step is an HDF5 stack (FILE::DATASET) or a folder of image files. */
        struct stat sb;
        int folder = stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
        if (folder ? args_addf(&a, "%s", p) != 0 : args_addf(&a, "%s::%s", p, fd.dataset) != 0) {
            fprintf(stderr, "tsct run: too many frame files at once (%lld)\n", (long long)(n - done));
            return TSCT_EXIT_FAIL;
        }
    }
    args_add(&a, "--poni");
    args_add(&a, fd.poni);
    args_add(&a, "--angles");
    args_add(&a, fd.angles);
    args_add(&a, "--translations");
    args_add(&a, fd.translations);
    const struct {
        const char *opt, *value;
    } extra[] = {{"--slices", fd.slices},
                 {"--angle-range", fd.angle_range},
                 {"--translation-step", fd.translation_step},
                 {"--mask", fd.mask},
                 {"--dark", fd.dark},
                 {"--flat", fd.flat},
                 {"--monitor-dataset", fd.monitor},
                 {"--monitor-header", fd.monitor_header},
                 {"--transmission-dataset", fd.transmission},
                 {"--transmission-header", fd.transmission_header},
                 {"--npt", fd.npt},
                 {"--polarization", fd.polarization}};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        if (extra[i].value[0] && !config_get(rs->cfg, "integrate", extra[i].opt + 2)) {
            args_add(&a, extra[i].opt);
            args_add(&a, extra[i].value);
        }
    if (fd.zigzag[0] && strcmp(fd.zigzag, "0") != 0)
        args_add(&a, "--zigzag");
    if (fd.qmin[0] && fd.qmax[0] && !config_get(rs->cfg, "integrate", "radial-range")) {
        args_add(&a, "--radial-range");
        args_add(&a, fd.qmin);
        args_add(&a, fd.qmax);
    }
    if (done > 0)
        args_addf(&a, "--time-offset=%lld", (long long)done);
    int rc = run_command(rs, "integrate", "integrate", &a);
    if (rc == TSCT_EXIT_OK && !rs->dry_run) {
        tsct_container *c = NULL;
        if (tsct_container_open(rs->container, TSCT_OPEN_WRITE, &c, &err) != TSCT_OK ||
            tsct_container_set_attr_string(c, TSCT_PATH_PROCESS "/integrate", "run_settings",
                                           settings, &err) != TSCT_OK) {
            tsct_container_close(c, NULL);
            return tsct_cli_fail(rs->cli, &err);
        }
        if (tsct_container_close(c, &err) != TSCT_OK)
            return tsct_cli_fail(rs->cli, &err);
    }
    return rc;
}

/* One pass over every step. *available: frame time steps found (-1: no [frames]). */
static int run_pipeline(struct run_state *rs, int64_t *available)
{
    *available = -1;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const struct step_def *s = &steps[i];
        const entry *enabled = tsct_ini_find(rs->cfg, s->section, "enabled");
        const int has = config_has_section(rs->cfg, s->section);
        int on = 1;
        if (enabled && tsct_ini_value_bool(rs->cfg, enabled, &on, NULL) == TSCT_OK && !on)
            continue;
        if (strcmp(s->section, "integrate") == 0) {
            if (!config_has_section(rs->cfg, "frames"))
                continue;
            int rc = run_integrate(rs, available);
            if (rc != TSCT_EXIT_OK)
                return rc;
            if (*available == 0)
                return TSCT_EXIT_OK; /* nothing to process yet */
            continue;
        }
        if (!has && !s->default_on)
            continue;
        const tsct_cli_command *cmd = tsct_cli_find_command(s->command);
        if (!cmd) {
            fprintf(stderr, "tsct run: %s: step [%s] is not available in this build of tsct\n",
                    rs->cfg->path, s->section);
            return TSCT_EXIT_FAIL;
        }
        args a = {0};
        args_add(&a, s->command);
        if (s->kind)
            args_add(&a, s->kind);
        if (s->container == POSITIONAL) {
            args_add(&a, rs->container);
        } else {
            args_add(&a, "--container");
            args_add(&a, rs->container);
        }
        tsct_error err = TSCT_ERROR_INIT;
        if (section_options(rs->cfg, s->section, cmd, &a, &err) != TSCT_OK)
            return tsct_cli_fail(rs->cli, &err);
        /* The record the step writes: fit_NAME for `tsct fit peak --name NAME`. */
        char record[80];
        snprintf(record, sizeof record, "%s", s->command);
        const char *fit_name = strcmp(s->section, "fit") == 0 ? config_get(rs->cfg, "fit", "name")
                                                               : NULL;
        if (fit_name) {
            snprintf(record, sizeof record, "fit_%.60s", fit_name);
            for (char *p = record; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        }
        int rc = run_command(rs, s->section, record, &a);
        if (rc != TSCT_EXIT_OK)
            return rc;
    }
    return TSCT_EXIT_OK;
}

/* Every section and [experiment] / [frames] key must be known, every value valid. */
static tsct_status config_check(const config *c, tsct_error *err)
{
    TSCT_TRY(scan_values_check(c, "frames", 0, err));
    for (int64_t i = 0; i < c->n; i++) {
        const entry *e = &c->e[i];
        int known = 0;
        if (strcmp(e->section, "experiment") == 0) {
            known = strcmp(e->key, "container") == 0;
        } else if (strcmp(e->section, "frames") == 0) {
            known = 1; /* checked above */
        } else {
            int section_known = 0;
            for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++)
                section_known |= strcmp(e->section, steps[s].section) == 0;
            if (!section_known)
                return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->section, e->line,
                                      "line %lld: unknown section [%s] (experiment, frames, "
                                      "integrate, sinogram, recon, echem, region, pdf, map, "
                                      "fit, particles, coverage, figures)",
                                      (long long)e->line, e->section);
            known = 1; /* step options are checked against the command when it runs */
            int on;
            if (strcmp(e->key, "enabled") == 0)
                TSCT_TRY(tsct_ini_value_bool(c, e, &on, err));
        }
        if (!known)
            return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->key, e->line,
                                  "line %lld: unknown key '%s' in [%s]", (long long)e->line, e->key,
                                  e->section);
    }
    if (!config_get(c, "experiment", "container"))
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, "container", -1,
                              "[experiment] needs 'container = EXP.h5'");
    return TSCT_OK;
}

static volatile sig_atomic_t stop_watch;
static void on_signal(int sig)
{
    (void)sig;
    stop_watch = 1;
}

int tsct_cmd_run(tsct_cli *cli, int argc, char **argv)
{
    enum { O_TEMPLATE = 1000, O_FORCE, O_WATCH, O_UNTIL, O_DRY };
    static const struct option longopts[] = {
        {"template", no_argument, NULL, O_TEMPLATE}, {"force", no_argument, NULL, O_FORCE},
        {"watch", optional_argument, NULL, O_WATCH}, {"until", required_argument, NULL, O_UNTIL},
        {"dry-run", no_argument, NULL, O_DRY},       {NULL, 0, NULL, 0},
    };
    int force = 0, dry = 0;
    double watch = -1;
    int64_t until = -1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (ch) {
        case O_TEMPLATE: fputs(template_text, stdout); return TSCT_EXIT_OK;
        case O_FORCE: force = 1; break;
        case O_DRY: dry = 1; break;
        case O_WATCH:
            watch = 10;
            if (optarg && (tsct_cli_parse_double(optarg, &watch) != 0 || watch <= 0))
                return tsct_cli_usage_error(cli, "--watch expects seconds > 0, got '%s'", optarg);
            break;
        case O_UNTIL:
            if (tsct_cli_parse_int64(optarg, &until) != 0 || until < 1)
                return tsct_cli_usage_error(cli, "--until expects a count >= 1, got '%s'", optarg);
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind == argc ? "missing PIPELINE.cfg"
                                                        : "one PIPELINE.cfg expected");
    if (until > 0 && watch < 0)
        return tsct_cli_usage_error(cli, "--until needs --watch");
    tsct_error err = TSCT_ERROR_INIT;
    config cfg;
    if (config_read(argv[optind], &cfg, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    if (config_check(&cfg, &err) != TSCT_OK) {
        config_free(&cfg);
        return tsct_cli_fail(cli, &err);
    }
    struct run_state rs = {cli, &cfg, "", force, dry, 0, 0, 0.0};
    resolve(&cfg, config_get(&cfg, "experiment", "container"), rs.container, sizeof rs.container);
    if (watch > 0) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    int rc;
    int64_t last = -2;
    const double t0 = now_s();
    for (;;) {
        int64_t available = -1;
        rc = run_pipeline(&rs, &available);
        if (rc != TSCT_EXIT_OK || watch <= 0 || dry)
            break;
        if (available < 0) {
            fprintf(stderr, "tsct run: --watch needs a [frames] section\n");
            rc = TSCT_EXIT_USAGE;
            break;
        }
        if (until > 0 && available >= until)
            break;
        if (available != last)
            fprintf(stderr, "tsct run: %lld time step(s) processed; waiting for more frames\n",
                    (long long)available);
        last = available;
        /* Sleep until the next poll, or until a signal. */
        for (double slept = 0; slept < watch && !stop_watch; slept += 0.2)
            usleep(200000);
        if (stop_watch) {
            fprintf(stderr, "tsct run: stopped; every finished step is in %s\n", rs.container);
            break;
        }
        rs.force = 0;
    }
    if (rc == TSCT_EXIT_OK && !dry)
        fprintf(stderr, "tsct run: %d step(s) run, %d up to date, %.1f s; results: %s\n", rs.nran,
                rs.nskipped, now_s() - t0, rs.container);
    config_free(&cfg);
    return rc;
}
