/* stage_pipeline.c - the pipeline file of `tsct run` (docs/pipeline.md) and the frames it
 * names: the [frames] section (or the simulator's scan.ini) checked key by key, the frames
 * pattern of the time steps (a literal path with one time-step field; never a printf
 * format), and which time steps have their frames on disk.
 *
 * Read with the library's INI reader (include/tsct/ini.h), so every message names the file,
 * the line and the key, and the fuzzer reaches the same code as the program. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsct/ini.h"
#include "tsct/publish.h"
#include "tsct/stage.h"

const char *const tsct_stage_pipeline_sections[] = {
    "integrate", "sinogram", "recon", "echem", "region", "pdf", "map", "fit", "particles",
    "coverage", "refine", "figures", NULL};

/* A path from the configuration, relative to its folder unless absolute (cut to size - 1
 * bytes if longer, which no real path is). */
void tsct_stage_path_resolve(const tsct_ini *c, const char *value, char *buf, size_t size)
{
    int n = value[0] == '/' || strcmp(c->dir, ".") == 0
                ? snprintf(buf, size, "%s", value)
                : snprintf(buf, size, "%s/%s", c->dir, value);
    if (n < 0 || (size_t)n >= size)
        buf[size - 1] = '\0';
}



/* The frames pattern: literal text with at most one time-step field, %d, %Nd or %0Nd (N <=
 * 9), and %% for a percent sign; anything else is refused, for a configuration value is
 * never used as a format. Without a field the pattern names the one time step there is. */
static tsct_status pattern_parse(tsct_stage_frames *fd, const char *cfg_path, tsct_error *err)
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
    {"calibrant_image", V_PATH, 0, 0, 0}, {"calibrant", V_TEXT, 0, 0, 0},
    {"detector", V_TEXT, 0, 0, 0},      {"pixel_um", V_REAL, 1e-3, 1e5, 0},
    {"format", V_FORMAT, 0, 0, 1},      {"frame_files", V_PATTERN, 0, 0, 1},
    {"counts", V_REAL, 1e-300, 1e300, 1},
};

/* Check every key of section (frames / scan) of c: known, and its value of its kind. */
static tsct_status scan_values_check(const tsct_ini *c, const char *section, int scan_ini,
                                     tsct_error *err)
{
    static const char *const formats[] = {"h5", "hdf5", "nxs", "cbf", "edf", "tif", "tiff",
                                          "npy", NULL};
    double qmin = -1, qmax = -1;
    for (int64_t i = 0; i < c->n; i++) {
        const tsct_ini_entry *e = &c->e[i];
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
            tsct_stage_frames fd;
            snprintf(fd.pattern, sizeof fd.pattern, "%s", e->value);
            tsct_status st = pattern_parse(&fd, c->path, err);
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

tsct_status tsct_stage_scan_ini_check(const tsct_ini *scan, tsct_error *err)
{
    TSCT_TRY(scan_values_check(scan, "scan", 1, err));
    for (int64_t i = 0; i < scan->n; i++)
        if (strcmp(scan->e[i].section, "scan") != 0)
            return tsct_ini_error(scan, &scan->e[i], TSCT_ERR_VALUE, err,
                                  "unknown section [%s]; a scan.ini has [scan] only",
                                  scan->e[i].section);
    return TSCT_OK;
}

tsct_status tsct_stage_frames_describe(const tsct_ini *c, tsct_stage_frames *fd, tsct_error *err)
{
    memset(fd, 0, sizeof *fd);
    tsct_ini scan = {0};
    const char *scan_path = tsct_ini_get(c, "frames", "scan");
    if (scan_path) {
        char p[TSCT_PATH_MAX];
        tsct_stage_path_resolve(c, scan_path, p, sizeof p);
        TSCT_TRY(tsct_ini_read(&scan, p, err));
        tsct_status st = tsct_stage_scan_ini_check(&scan, err);
        if (st != TSCT_OK) {
            tsct_ini_release(&scan);
            return st;
        }
    }
    static const struct {
        const char *key;
        size_t off, size;
        int path;
    } keys[] = {
#define K(name, path)                                                                         \
    {#name, offsetof(tsct_stage_frames, name), sizeof(((tsct_stage_frames *)0)->name), path}
        K(dataset, 0), K(monitor, 0), K(monitor_header, 0), K(transmission, 0),
        K(transmission_header, 0), K(poni, 1), K(mask, 1), K(dark, 1), K(flat, 1),
        K(slices, 0), K(angles, 0), K(angle_range, 0), K(translations, 0),
        K(translation_step, 0), K(zigzag, 0), K(npt, 0), K(qmin, 0), K(qmax, 0),
        K(polarization, 0), K(calibrant_image, 1), K(calibrant, 0), K(detector, 0),
        K(wavelength, 0), K(energy_kev, 0), K(pixel_um, 0),
#undef K
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *dst = (char *)fd + keys[i].off;
        const char *v = tsct_ini_get(c, "frames", keys[i].key);
        const tsct_ini *from = c;
        if (!v && scan_path) {
            v = tsct_ini_get(&scan, "scan", keys[i].key);
            from = &scan;
        }
        if (v && *v) {
            if (keys[i].path)
                tsct_stage_path_resolve(from, v, dst, keys[i].size);
            else
                snprintf(dst, keys[i].size, "%s", v);
        }
    }
    const char *pat = tsct_ini_get(c, "frames", "frames");
    const tsct_ini *from = c;
    if (!pat && scan_path) {
        pat = tsct_ini_get(&scan, "scan", "frames");
        from = &scan;
    }
    if (pat)
        tsct_stage_path_resolve(from, pat, fd->pattern, sizeof fd->pattern);
    tsct_ini_release(&scan);
    /* A calibration is written where [frames] says, else beside the pipeline file (never
     * over the PONI a scan.ini names). */
    if (fd->calibrant_image[0] && !tsct_ini_get(c, "frames", "poni"))
        tsct_stage_path_resolve(c, "calibration.poni", fd->poni, sizeof fd->poni);
    if (fd->calibrant_image[0] && (!fd->calibrant[0] || !fd->detector[0] ||
                                   (!fd->wavelength[0] && !fd->energy_kev[0])))
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, "calibrant_image", -1,
                              "[frames] calibrant_image needs calibrant, detector and "
                              "wavelength (or energy_kev)");
    const char *missing = !fd->pattern[0]        ? "frames"
                          : !fd->poni[0]         ? "poni (or calibrant_image)"
                          : !fd->angles[0]       ? "angles"
                          : !fd->translations[0] ? "translations"
                                                 : NULL;
    if (missing)
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, missing, -1,
                              "[frames] needs %s (or a scan = scan.ini that has it)", missing);
    if (!fd->dataset[0])
        snprintf(fd->dataset, sizeof fd->dataset, "/entry/data/data");
    TSCT_TRY(pattern_parse(fd, c->path, err));
    /* The folder that holds (or will hold) the frames must exist: a mistyped path is an
     * error, not "no frames yet". */
    char dir[TSCT_PATH_MAX];
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

/* The path of time step t's frame file (the pattern checked by pattern_parse). */
void tsct_stage_frames_path(const tsct_stage_frames *fd, int64_t t, char *buf, size_t size)
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
int64_t tsct_stage_frames_available(const tsct_stage_frames *fd)
{
    char p[TSCT_PATH_MAX];
    if (fd->field_at < 0) {
        tsct_stage_frames_path(fd, 0, p, sizeof p);
        return access(p, R_OK) == 0;
    }
    for (int64_t t = 0;; t++) {
        tsct_stage_frames_path(fd, t, p, sizeof p);
        if (access(p, R_OK) != 0)
            return t;
    }
}


/* Every section and [experiment] / [frames] key must be known, every value valid. */
tsct_status tsct_stage_pipeline_check(const tsct_ini *c, tsct_error *err)
{
    TSCT_TRY(scan_values_check(c, "frames", 0, err));
    for (int64_t i = 0; i < c->n; i++) {
        const tsct_ini_entry *e = &c->e[i];
        int known = 0;
        if (strcmp(e->section, "experiment") == 0) {
            known = strcmp(e->key, "container") == 0;
        } else if (strcmp(e->section, "frames") == 0) {
            known = 1; /* checked above */
        } else {
            int section_known = 0;
            for (int s = 0; tsct_stage_pipeline_sections[s]; s++)
                section_known |= strcmp(e->section, tsct_stage_pipeline_sections[s]) == 0;
            if (!section_known)
                return tsct_error_set(err, TSCT_ERR_VALUE, c->path, e->section, e->line,
                                      "line %lld: unknown section [%s] (experiment, frames, "
                                      "integrate, sinogram, recon, echem, region, pdf, map, "
                                      "fit, particles, coverage, refine, figures)",
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
    if (!tsct_ini_get(c, "experiment", "container"))
        return tsct_error_set(err, TSCT_ERR_VALUE, c->path, "container", -1,
                              "[experiment] needs 'container = EXP.h5'");
    return TSCT_OK;
}
