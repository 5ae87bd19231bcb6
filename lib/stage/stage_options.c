/* stage_options.c - the options of the stages as keys and values (include/tsct/stage.h,
 * "options"): one table per stage, named as the tsct program spells its long options, and
 * one setter per stage that parses a value into the stage's params with the program's
 * checks and messages. The program's commands and `tsct run` both go through here, so a
 * command line and a pipeline file cannot mean different things.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/fit.h"
#include "tsct/geometry.h"
#include "tsct/integrate.h"
#include "stage_internal.h"
#include "tsct/stage.h"
#include "tsct/tomo.h"

/* ---- values ------------------------------------------------------------------------------ */

int tsct_stage_parse_int64(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int tsct_stage_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

#define whole tsct_stage_parse_int64
#define number tsct_stage_parse_double

/* A value refused: TSCT_ERR_VALUE, item "--KEY", detail as formatted (stage_internal.h). */
tsct_status tsct__stage_refuse(tsct_error *err, const char *key, const char *fmt, ...)
{
    char item[96];
    snprintf(item, sizeof item, "--%s", key);
    va_list ap;
    va_start(ap, fmt);
    tsct_status st = tsct_error_setv(err, TSCT_ERR_VALUE, NULL, item, -1, fmt, ap);
    va_end(ap);
    return st;
}
#define refuse tsct__stage_refuse

/* An integer lo..hi: "--KEY expects an integer LO..HI, got 'V'". */
static tsct_status count(const char *key, const char *v, int64_t lo, int64_t hi, int64_t *out,
                         tsct_error *err)
{
    int64_t x;
    if (whole(v, &x) != 0 || x < lo || x > hi)
        return refuse(err, key, "--%s expects an integer %lld..%lld, got '%s'", key,
                      (long long)lo, (long long)hi, v);
    *out = x;
    return TSCT_OK;
}

/* One word of a set: "--KEY expects A, B or C, got 'V'"; *out = its index. */
static tsct_status word(const char *key, const char *v, const char *const *words, int *out,
                        tsct_error *err)
{
    char list[160] = "";
    size_t used = 0;
    for (int i = 0; words[i]; i++) {
        if (strcmp(v, words[i]) == 0) {
            *out = i;
            return TSCT_OK;
        }
        if (used < sizeof list)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                     !i ? "" : words[i + 1] ? ", " : " or ", words[i]);
    }
    return refuse(err, key, "--%s expects %s, got '%s'", key, list, v);
}

/* Two numbers "A B" (or "A,B"). */
static tsct_status pair(const char *key, const char *v, double *a, double *b, tsct_error *err)
{
    char buf[128], *save = NULL;
    snprintf(buf, sizeof buf, "%s", v ? v : "");
    for (char *p = buf; *p; p++)
        if (*p == ',' || *p == '\t')
            *p = ' ';
    const char *w1 = strtok_r(buf, " ", &save), *w2 = strtok_r(NULL, " ", &save);
    if (!w1 || !w2 || strtok_r(NULL, " ", &save) || number(w1, a) != 0 || number(w2, b) != 0)
        return refuse(err, key, "--%s expects two numbers A B", key);
    return TSCT_OK;
}

/* The centre of a sinogram or a reconstruction: a method or a position in bins. */
static tsct_status centre(const char *v, tsct_stage_centre_mode *mode, double *value,
                          tsct_error *err)
{
    static const char *const names[] = {"auto", "pair", "vo", "none", NULL};
    static const tsct_stage_centre_mode modes[] = {TSCT_STAGE_CENTRE_AUTO, TSCT_STAGE_CENTRE_PAIR,
                                                   TSCT_STAGE_CENTRE_VO, TSCT_STAGE_CENTRE_NONE};
    for (int i = 0; names[i]; i++)
        if (strcmp(v, names[i]) == 0) {
            *mode = modes[i];
            *value = 0.0;
            return TSCT_OK;
        }
    if (number(v, value) != 0 || *value < 0)
        return refuse(err, "centre", "--centre expects auto, pair, vo, none or a position >= 0 "
                                     "in bins, got '%s'", v);
    *mode = TSCT_STAGE_CENTRE_FIXED;
    return TSCT_OK;
}

/* The threshold of region and particles: F x the 99.5th percentile, or otsu. */
static tsct_status fraction_or_otsu(const char *v, tsct_stage_threshold *th, tsct_error *err)
{
    if (strcmp(v, "otsu") == 0) {
        th->rule = TSCT_STAGE_THRESHOLD_OTSU;
        return TSCT_OK;
    }
    double f;
    if (number(v, &f) != 0 || !(f > 0))
        return refuse(err, "threshold", "--threshold expects F > 0 or otsu, got '%s'", v);
    th->rule = TSCT_STAGE_THRESHOLD_PERCENTILE;
    th->fraction = f;
    return TSCT_OK;
}

/* ---- integrate --------------------------------------------------------------------------- */

static const tsct_stage_option integrate_options[] = {
    {"poni", 'p', TSCT_STAGE_OPTION_VALUE, 1, 0, "FILE: geometry (pyFAI PONI file; required)"},
    {"mask", 'm', TSCT_STAGE_OPTION_VALUE, 1, 0, "M: mask image, non-zero = masked"},
    {"dark", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "D: dark image, subtracted"},
    {"flat", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "F: flat-field image, divides"},
    {"npt", 'n', TSCT_STAGE_OPTION_VALUE, 0, 0, "N: number of bins (default 2000)"},
    {"unit", 'u', TSCT_STAGE_OPTION_VALUE, 0, 0, "U: q_A^-1, q_nm^-1, 2th_deg, 2th_rad, r_mm"},
    {"method", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "M: pixel splitting no, bbox, full"},
    {"polarization", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "F: polarization factor -1..1"},
    {"no-solid-angle", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "do not correct for the solid angle"},
    {"filter", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "mean, trimmed:LO,HI or sigma:THRES[,ITER]"},
    {"radial-range", 0, TSCT_STAGE_OPTION_PAIR, 0, 0, "A B: radial range in the unit"},
    {"azimuth-range", 0, TSCT_STAGE_OPTION_PAIR, 0, 0, "A B: chi range in degrees"},
    {"angles", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: angles, evenly over the angle range"},
    {"angle-range", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "DEG: 180 (default) or 360"},
    {"translations", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NS: translations per angle"},
    {"translation-step", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "MM: step between translations"},
    {"slices", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NZ: slices per time step (default 1)"},
    {"zigzag", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "snake scan: odd rows recorded backwards"},
    {"time-offset", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "T: the frames are time steps T, T+1, ..."},
    {"monitor-dataset", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "PATH: per-frame monitor dataset"},
    {"monitor-header", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "KEY: per-frame monitor header item"},
    {"transmission-dataset", 0, TSCT_STAGE_OPTION_VALUE, 0, 0,
     "PATH: per-frame transmission dataset"},
    {"transmission-header", 0, TSCT_STAGE_OPTION_VALUE, 0, 0,
     "KEY: per-frame transmission header item"},
    {NULL, 0, 0, 0, 0, NULL}};

/* A per-frame number's source: a dataset path or a header key, one of the two. */
static tsct_status frame_value(const char *key, const char *v, const char *what, int header,
                               tsct_stage_frame_value_source *src, const char **out,
                               tsct_error *err)
{
    if (!header && v[0] != '/')
        return refuse(err, key, "--%s expects an HDF5 path starting with '/', got '%s'", key, v);
    if (header && (!v[0] || strpbrk(v, " \t=;:")))
        return refuse(err, key, "--%s expects a header key (one word), got '%s'", key, v);
    const tsct_stage_frame_value_source want =
        header ? TSCT_STAGE_FRAME_VALUE_HEADER : TSCT_STAGE_FRAME_VALUE_DATASET;
    if (*src != TSCT_STAGE_FRAME_VALUE_NONE && *src != want)
        return refuse(err, key, "--%s-dataset and --%s-header exclude each other", what, what);
    *src = want;
    *out = v;
    return TSCT_OK;
}

static tsct_status integrate_set(void *params, const char *k, const char *v, tsct_error *err)
{
    tsct_stage_integrate_scan_params *s = params;
    tsct_integrate_params *ip = &s->integrate;
    tsct_error e = TSCT_ERROR_INIT;
    if (strcmp(k, "poni") == 0)
        s->poni = v;
    else if (strcmp(k, "mask") == 0)
        s->mask = v;
    else if (strcmp(k, "dark") == 0)
        s->dark = v;
    else if (strcmp(k, "flat") == 0)
        s->flat = v;
    else if (strcmp(k, "npt") == 0) {
        int64_t n;
        if (whole(v, &n) != 0 || n < 1 || n > (1 << 24))
            return refuse(err, k, "--npt expects 1 .. 16777216 bins, got '%s'", v);
        ip->npt = n;
    } else if (strcmp(k, "unit") == 0) {
        if (tsct_unit_parse(v, &ip->unit, &e) != TSCT_OK)
            return refuse(err, k, "--unit: %s", e.detail);
    } else if (strcmp(k, "method") == 0) {
        if (tsct_integrate_split_parse(v, &ip->split, &e) != TSCT_OK)
            return refuse(err, k, "--method: %s", e.detail);
    } else if (strcmp(k, "polarization") == 0) {
        if (number(v, &ip->polarization) != 0 || !(fabs(ip->polarization) <= 1))
            return refuse(err, k, "--polarization expects -1 .. 1, got '%s'", v);
    } else if (strcmp(k, "no-solid-angle") == 0)
        ip->solid_angle = 0;
    else if (strcmp(k, "filter") == 0) {
        tsct_integrate_params parsed = *ip;
        if (tsct_integrate_filter_parse(v, &parsed, &e) != TSCT_OK)
            return refuse(err, k, "--filter: %s", e.detail);
        *ip = parsed;
        s->filter = v;
    } else if (strcmp(k, "radial-range") == 0)
        return pair(k, v, &ip->radial_min, &ip->radial_max, err);
    else if (strcmp(k, "azimuth-range") == 0)
        return pair(k, v, &ip->azimuth_min, &ip->azimuth_max, err);
    else if (strcmp(k, "angles") == 0 || strcmp(k, "translations") == 0 ||
             strcmp(k, "slices") == 0 || strcmp(k, "time-offset") == 0) {
        const int64_t lo = k[0] == 't' && k[1] == 'i' ? 0 : 1;
        int64_t n;
        if (whole(v, &n) != 0 || n < lo || n > (1 << 24))
            return refuse(err, k, "--%s expects a whole number >= %lld, got '%s'", k,
                          (long long)lo, v);
        *(k[0] == 'a' ? &s->angles : k[1] == 'r' ? &s->translations
                                   : k[0] == 's' ? &s->slices
                                                 : &s->time_offset) = n;
    } else if (strcmp(k, "angle-range") == 0 || strcmp(k, "translation-step") == 0) {
        double x;
        if (number(v, &x) != 0 || !(x > 0))
            return refuse(err, k, "--%s expects a number > 0, got '%s'", k, v);
        *(k[0] == 'a' ? &s->angle_range : &s->translation_step) = x;
    } else if (strcmp(k, "zigzag") == 0)
        s->zigzag = 1;
    else if (strncmp(k, "monitor-", 8) == 0)
        return frame_value(k, v, "monitor", k[8] == 'h', &s->monitor_source, &s->monitor, err);
    else if (strncmp(k, "transmission-", 13) == 0)
        return frame_value(k, v, "transmission", k[13] == 'h', &s->transmission_source,
                           &s->transmission, err);
    return TSCT_OK;
}

/* ---- sinogram ---------------------------------------------------------------------------- */

static const tsct_stage_option sinogram_options[] = {
    {"zigzag", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "auto|yes|no: flip every other row back"},
    {"air", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: subtract the air of the first/last N positions"},
    {"air-side", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "both | first | last"},
    {"air-per-angle", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "one air pattern per projection"},
    {"normalise", 0, TSCT_STAGE_OPTION_VALUE, 0, 0,
     "none | total | transmission | FILE.h5::/monitor"},
    {"com", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "centre-of-mass jitter correction"},
    {"centre", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "auto | pair | vo | none | a value in bins"},
    {"no-crop", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "keep every position instead of cropping"},
    {"bin-translation", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: average N translations"},
    {"bin-channels", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: average N channels"},
    {"bad-channels", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "T: bad-channel filter threshold (MADs)"},
    {"zingers", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "T: zinger filter threshold (sigmas)"},
    {"block", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: channels per block (default 256)"},
    {"deflate", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: compression level 0..9 (default 1)"},
    {NULL, 0, 0, 0, 0, NULL}};

static tsct_status nonneg(const char *k, const char *v, double *out, tsct_error *err)
{
    if (number(v, out) != 0 || *out < 0)
        return refuse(err, k, "--%s expects a number >= 0, got '%s'", k, v);
    return TSCT_OK;
}

static tsct_status sinogram_set(void *params, const char *k, const char *v, tsct_error *err)
{
    static const char *const zigzags[] = {"auto", "yes", "no", NULL};
    static const char *const sides[] = {"both", "first", "last", NULL};
    static const char *const norms[] = {"none", "total", "transmission", "FILE.h5::/monitor",
                                        NULL};
    tsct_stage_sinogram_params *o = params;
    int w = 0;
    int64_t n = 0;
    if (strcmp(k, "zigzag") == 0) {
        TSCT_TRY(word(k, v, zigzags, &w, err));
        o->zigzag = (tsct_stage_zigzag_mode)w;
    } else if (strcmp(k, "air") == 0) {
        return count(k, v, 0, INT64_MAX / 4, &o->air, err);
    } else if (strcmp(k, "air-side") == 0) {
        TSCT_TRY(word(k, v, sides, &w, err));
        o->air_side = (tsct_stage_air_side)w;
    } else if (strcmp(k, "air-per-angle") == 0) {
        o->air_per_angle = 1;
    } else if (strcmp(k, "normalise") == 0) {
        if (strstr(v, "::")) {
            o->normalise = TSCT_STAGE_NORMALISE_MONITOR;
            o->monitor = v;
        } else {
            TSCT_TRY(word(k, v, norms, &w, err));
            o->normalise = (tsct_stage_normalise_mode)w;
        }
    } else if (strcmp(k, "com") == 0) {
        o->com = 1;
    } else if (strcmp(k, "centre") == 0) {
        return centre(v, &o->centre, &o->centre_value, err);
    } else if (strcmp(k, "no-crop") == 0) {
        o->crop = 0;
    } else if (strcmp(k, "bin-translation") == 0) {
        return count(k, v, 1, 1 << 20, &o->bin_translation, err);
    } else if (strcmp(k, "bin-channels") == 0) {
        return count(k, v, 1, 1 << 20, &o->bin_channels, err);
    } else if (strcmp(k, "bad-channels") == 0) {
        return nonneg(k, v, &o->bad_channels, err);
    } else if (strcmp(k, "zingers") == 0) {
        return nonneg(k, v, &o->zingers, err);
    } else if (strcmp(k, "block") == 0) {
        return count(k, v, 1, 1 << 20, &o->block, err);
    } else if (strcmp(k, "deflate") == 0) {
        TSCT_TRY(count(k, v, 0, 9, &n, err));
        o->deflate = (int)n;
    }
    return TSCT_OK;
}

/* ---- recon ------------------------------------------------------------------------------- */

static const tsct_stage_option recon_options[] = {
    {"method", 'm', TSCT_STAGE_OPTION_VALUE, 0, 0, "fbp | sirt | cgls (default fbp)"},
    {"filter", 'f', TSCT_STAGE_OPTION_VALUE, 0, 0,
     "ramp | shepp-logan | cosine | hamming | hann | none (fbp)"},
    {"iterations", 'n', TSCT_STAGE_OPTION_VALUE, 0, 0, "N: sirt / cgls iterations"},
    {"nonneg", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "sirt: clip to >= 0 after each update"},
    {"size", 's', TSCT_STAGE_OPTION_VALUE, 0, 0, "N: image size"},
    {"no-circle", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "reconstruct the whole square"},
    {"centre", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "auto | pair | vo | none | a value in bins"},
    {"block", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: channels per block (default 256)"},
    {"deflate", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: compression level 0..9 (default 1)"},
    {"rings", 0, TSCT_STAGE_OPTION_VALUE, 0, 0,
     "N: remove ring artefacts first (sorting over N positions, odd, e.g. 21)"},
    {NULL, 0, 0, 0, 0, NULL}};

static tsct_status recon_set(void *params, const char *k, const char *v, tsct_error *err)
{
    static const char *const methods[] = {"fbp", "sirt", "cgls", NULL};
    tsct_stage_recon_params *p = params;
    tsct_error e = TSCT_ERROR_INIT;
    int w = 0;
    int64_t n = 0;
    if (strcmp(k, "method") == 0) {
        TSCT_TRY(word(k, v, methods, &w, err));
        p->method = (tsct_stage_recon_method)w;
    } else if (strcmp(k, "filter") == 0) {
        if (tsct_tomo_fbp_filter_parse(v, &p->filter, &e) != TSCT_OK)
            return refuse(err, k, "--filter: %s", e.detail);
    } else if (strcmp(k, "iterations") == 0) {
        return count(k, v, 1, 100000, &p->iterations, err);
    } else if (strcmp(k, "nonneg") == 0) {
        p->nonneg = 1;
    } else if (strcmp(k, "rings") == 0) {
        TSCT_TRY(count(k, v, 3, 1000001, &p->rings, err));
        if (p->rings % 2 == 0)
            return refuse(err, k, "--rings expects an odd number of positions, got '%s'", v);
    } else if (strcmp(k, "size") == 0) {
        return count(k, v, 1, 1 << 20, &p->size, err);
    } else if (strcmp(k, "no-circle") == 0) {
        p->circle = 0;
    } else if (strcmp(k, "centre") == 0) {
        return centre(v, &p->centre, &p->centre_value, err);
    } else if (strcmp(k, "block") == 0) {
        return count(k, v, 1, 1 << 20, &p->block, err);
    } else if (strcmp(k, "deflate") == 0) {
        TSCT_TRY(count(k, v, 0, 9, &n, err));
        p->deflate = (int)n;
    }
    return TSCT_OK;
}

/* ---- region ------------------------------------------------------------------------------ */

static const tsct_stage_option region_options[] = {
    {"name", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: /entry/regions/NAME (required)"},
    {"circle", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "DX,DY,R: a disc in every slice (voxels)"},
    {"mask-map", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "MAP: the map above its threshold"},
    {"mask-file", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "IMAGE: non-zero = inside"},
    {"threshold", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "F | otsu: the mask map's threshold"},
    {"mask-time", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "T: the mask map's time step"},
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 0, "DIR: one .xy file per time step"},
    {NULL, 0, 0, 0, 0, NULL}};

static tsct_status region_set(void *params, const char *k, const char *v, tsct_error *err)
{
    tsct_stage_region_params *p = params;
    if (strcmp(k, "name") == 0) {
        p->name = v;
    } else if (strcmp(k, "circle") == 0) {
        char tail;
        if (sscanf(v, "%lf,%lf,%lf%c", &p->dx, &p->dy, &p->radius, &tail) != 3 ||
            !(p->radius > 0))
            return refuse(err, k, "--circle expects DX,DY,R with R > 0, got '%s'", v);
        p->kind = TSCT_STAGE_REGION_CIRCLE;
    } else if (strcmp(k, "mask-map") == 0) {
        p->map = v;
        p->kind = TSCT_STAGE_REGION_MAP;
    } else if (strcmp(k, "mask-file") == 0) {
        p->file = v;
        p->kind = TSCT_STAGE_REGION_FILE;
    } else if (strcmp(k, "threshold") == 0) {
        return fraction_or_otsu(v, &p->threshold, err);
    } else if (strcmp(k, "mask-time") == 0) {
        int64_t t;
        if (whole(v, &t) != 0 || t < 0)
            return refuse(err, k, "--mask-time expects an index >= 0, got '%s'", v);
        p->map_time = t;
    } else if (strcmp(k, "output") == 0) {
        p->xy_dir = v;
    }
    return TSCT_OK;
}

/* ---- map --------------------------------------------------------------------------------- */

static const tsct_stage_option map_options[] = {
    {"definitions", 'd', TSCT_STAGE_OPTION_VALUE, 1, 0, "FILE: map definitions, one per line"},
    {"window", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME=LO:HI[:nobg]: a peak area"},
    {"value", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME=X[:DX]: the value at X"},
    {"gr", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME=R[:DR]: G(r) at R"},
    {"total", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: the total intensity"},
    {"ratio", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME=A/B: a ratio of two maps"},
    {"normalise", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME=A: a map over its largest"},
    {"normalize", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "the same as normalise"},
    {"unmix", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME=SOURCE: a phase's unmixing weight"},
    {"unmix-background", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "0 | 1 | 2 background terms"},
    {"wavelength", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "A: the wavelength (cif, nano)"},
    {"data", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "DIRS: folders of the CIF files"},
    {NULL, 0, 0, 0, 0, NULL}};

static tsct_status map_set(void *params, const char *k, const char *v, tsct_error *err)
{
    tsct_stage_map_params *p = params;
    tsct_stage_map_defs *defs = (tsct_stage_map_defs *)p->definitions;
    if (strcmp(k, "unmix-background") == 0) {
        int64_t n;
        if (whole(v, &n) != 0 || n < 0 || n > 2)
            return refuse(err, k, "--unmix-background expects 0, 1 or 2, got '%s'", v);
        p->unmix_background = (int)n;
        return TSCT_OK;
    }
    if (strcmp(k, "wavelength") == 0) {
        if (number(v, &p->wavelength) != 0 || p->wavelength <= 0)
            return refuse(err, k, "--wavelength expects A > 0, got '%s'", v);
        return TSCT_OK;
    }
    if (strcmp(k, "data") == 0) {
        p->data_dirs = v;
        return TSCT_OK;
    }
    if (!defs)
        return refuse(err, k, "--%s: no definitions to add to (params.definitions is NULL)", k);
    if (strcmp(k, "definitions") == 0)
        return tsct_stage_map_defs_read(defs, v, err);
    const char *kind = strcmp(k, "normalize") == 0 ? "normalise" : k;
    const char *why = tsct_stage_map_defs_add_option(defs, kind, v);
    if (why) /* the reason after at most 300 bytes of the value, so that it is never cut */
        return refuse(err, k, "--%s %.300s%s: %s", kind, v, strlen(v) > 300 ? "..." : "", why);
    return TSCT_OK;
}

/* ---- particles and coverage -------------------------------------------------------------- */

static const tsct_stage_option particles_options[] = {
    {"map", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "MAP: the phase map (required)"},
    {"threshold", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "F | otsu (default 0.5)"},
    {"min-size", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: smallest particle, voxels (default 4)"},
    {"parameter", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "MAP: a map to average by depth"},
    {"shells", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: depth shells (default 10)"},
    {"by-depth", 0, TSCT_STAGE_OPTION_VALUE, 1, 1, "FILE.csv: the parameter-by-depth table"},
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 1, "FILE.csv: the particle table"},
    {NULL, 0, 0, 0, 0, NULL}};

static tsct_status particles_set(void *params, const char *k, const char *v, tsct_error *err)
{
    tsct_stage_particles_params *p = params;
    if (strcmp(k, "map") == 0) {
        p->map = v;
    } else if (strcmp(k, "parameter") == 0) {
        p->parameter = v;
    } else if (strcmp(k, "threshold") == 0) {
        return fraction_or_otsu(v, &p->threshold, err);
    } else if (strcmp(k, "min-size") == 0 || strcmp(k, "shells") == 0) {
        int64_t n;
        if (whole(v, &n) != 0 || n < 1 || n > 100000)
            return refuse(err, k, "--%s expects a count from 1, got '%s'", k, v);
        *(k[0] == 'm' ? &p->min_size : &p->shells) = n;
    }
    return TSCT_OK;
}

static const tsct_stage_option coverage_options[] = {
    {"map", 'm', TSCT_STAGE_OPTION_VALUE, 0, 0, "MAP: the phase map (required)"},
    {"threshold", 't', TSCT_STAGE_OPTION_VALUE, 0, 0, "otsu | abs:VALUE | pct:P[:FRACTION]"},
    {"threshold-time", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "T | max: where the threshold is set"},
    {"open", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "R: morphological opening radius, voxels"},
    {"close", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "R: morphological closing radius, voxels"},
    {"min-size", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: remove components under N voxels"},
    {"masks", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "store /entry/maps/MAP_mask"},
    {"difference", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "T: store MAP minus its time step T"},
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 1, "FILE.csv: the table"},
    {NULL, 0, 0, 0, 0, NULL}};

static tsct_status coverage_set(void *params, const char *k, const char *v, tsct_error *err)
{
    tsct_stage_coverage_params *o = params;
    int64_t n;
    double a, b = 1.0;
    char tail;
    if (strcmp(k, "map") == 0) {
        o->map = v;
    } else if (strcmp(k, "masks") == 0) {
        o->masks = 1;
    } else if (strcmp(k, "threshold") == 0) {
        tsct_stage_threshold *th = &o->threshold;
        if (strcmp(v, "otsu") == 0) {
            th->rule = TSCT_STAGE_THRESHOLD_OTSU;
        } else if (sscanf(v, "abs:%lf%c", &a, &tail) == 1) {
            th->rule = TSCT_STAGE_THRESHOLD_ABSOLUTE;
            th->value = a;
        } else if (sscanf(v, "pct:%lf:%lf", &a, &b) >= 1 && a >= 0 && a <= 100) {
            th->rule = TSCT_STAGE_THRESHOLD_PERCENTILE;
            th->percentile = a;
            th->fraction = b;
        } else {
            return refuse(err, k, "\"%s\": expected otsu, abs:VALUE or pct:P[:FRACTION]", v);
        }
    } else if (strcmp(k, "threshold-time") == 0) {
        if (strcmp(v, "max") == 0)
            o->threshold_time = -1;
        else if (whole(v, &n) != 0 || n < 0)
            return refuse(err, k, "--threshold-time expects a time step >= 0 or max, got '%s'",
                          v);
        else
            o->threshold_time = n;
    } else {
        if (whole(v, &n) != 0 || n < 0 || n > 1000000)
            return refuse(err, k, "--%s expects a whole number >= 0, got '%s'", k, v);
        *(k[0] == 'o' ? &o->open : k[0] == 'c' ? &o->close : k[0] == 'm' ? &o->min_size
                                                                          : &o->difference) = n;
    }
    return TSCT_OK;
}

/* ---- echem ------------------------------------------------------------------------------- */

static const tsct_stage_option echem_options[] = {
    {"file", 0, TSCT_STAGE_OPTION_VALUE, 1, 0,
     "FILE: the potentiostat export, .csv or .mpt (tsct echem's second argument)"},
    {"period", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "S: tomogram t from start + t S"},
    {"start", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "S: the first tomogram's start (default 0)"},
    {"duration", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "S: each tomogram's duration (the period)"},
    {"windows", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "FILE: start and end of each tomogram (s)"},
    {"mass", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "MG: active mass (capacities in mAh/g)"},
    {"time-col", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: the time column"},
    {"voltage-col", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: the voltage column"},
    {"current-col", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: the current column"},
    {"time-unit", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "s, min or h"},
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 1, "FILE.csv: the tomograms' table"},
    {NULL, 0, 0, 0, 0, NULL}};

static tsct_status echem_set(void *params, const char *k, const char *v, tsct_error *err)
{
    tsct_stage_echem_params *p = params;
    double *target = strcmp(k, "period") == 0     ? &p->period
                     : strcmp(k, "start") == 0    ? &p->start
                     : strcmp(k, "duration") == 0 ? &p->duration
                     : strcmp(k, "mass") == 0     ? &p->mass_mg
                                                  : NULL;
    if (target) {
        const int start = k[0] == 's';
        double x;
        if (number(v, &x) != 0 || x < 0 || (!start && x == 0))
            return refuse(err, k, "--%s expects a number %s, got '%s'", k, start ? ">= 0" : "> 0",
                          v);
        *target = x;
    } else if (strcmp(k, "file") == 0) {
        p->file = v;
    } else if (strcmp(k, "windows") == 0) {
        p->windows = v;
    } else if (strcmp(k, "time-col") == 0) {
        p->columns.time = v;
    } else if (strcmp(k, "voltage-col") == 0) {
        p->columns.voltage = v;
    } else if (strcmp(k, "current-col") == 0) {
        p->columns.current = v;
    } else if (strcmp(k, "time-unit") == 0) {
        const double scale = strcmp(v, "s") == 0     ? 1.0
                             : strcmp(v, "min") == 0 ? 60.0
                             : strcmp(v, "h") == 0   ? 3600.0
                                                     : -1;
        if (scale < 0)
            return refuse(err, k, "--time-unit expects s, min or h, got '%s'", v);
        p->columns.time_scale = scale;
    }
    return TSCT_OK;
}

/* ---- fit --------------------------------------------------------------------------------- */

static const tsct_stage_option fit_options[] = {
    {"window", 'w', TSCT_STAGE_OPTION_VALUE, 0, 0, "A:B: the fit window (required)"},
    {"peak", 'p', TSCT_STAGE_OPTION_VALUE, 0, 0, "PROFILE[@POSITION][,NAME=SPEC]...: a peak"},
    {"background", 'b', TSCT_STAGE_OPTION_VALUE, 0, 0, "0..3 | none: the background's degree"},
    {"name", 'n', TSCT_STAGE_OPTION_VALUE, 0, 0, "NAME: /entry/fits/NAME"},
    {"source", 's', TSCT_STAGE_OPTION_VALUE, 0, 0, "recon | pdf | integrated"},
    {"threshold", 't', TSCT_STAGE_OPTION_VALUE, 0, 0, "F: the sample's fraction (0..1)"},
    {"mask-map", 'm', TSCT_STAGE_OPTION_VALUE, 0, 0, "MAP: fit where the map is > 0"},
    {"maps", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "all | NAME,...: parameters also as maps"},
    {"max-iter", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "N: iterations, 1..1000000"},
    {"ftol", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "T: relative change of chi^2"},
    {"xtol", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "T: relative change of the parameters"},
    {"gtol", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "T: gradient"},
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 1, "FILE.csv: a series' table"},
    {NULL, 0, 0, 0, 0, NULL}};

static tsct_status fit_set(void *params, const char *k, const char *v, tsct_error *err)
{
    tsct_stage_fit_voxels_params *p = params;
    tsct_fit_model *m = (tsct_fit_model *)p->model;
    double x, y;
    int64_t n;
    if (strcmp(k, "window") == 0 || strcmp(k, "peak") == 0 || strcmp(k, "background") == 0) {
        if (!m)
            return refuse(err, k, "--%s: no model to change (params.model is NULL)", k);
    }
    if (strcmp(k, "window") == 0) {
        const char *colon = strchr(v, ':');
        char a[64], b[64];
        if (!colon || colon - v >= 64 || strlen(colon + 1) >= 64)
            return refuse(err, k, "--window expects A:B, got '%s'", v);
        snprintf(a, sizeof a, "%.*s", (int)(colon - v), v);
        snprintf(b, sizeof b, "%s", colon + 1);
        if (number(a, &x) || number(b, &y) || !(x < y))
            return refuse(err, k, "--window expects A:B with A < B, got '%s'", v);
        m->xmin = x, m->xmax = y;
    } else if (strcmp(k, "peak") == 0) {
        tsct_error e = TSCT_ERROR_INIT;
        if (m->npeaks == TSCT_FIT_MAX_PEAKS)
            return refuse(err, k, "at most %d peaks", TSCT_FIT_MAX_PEAKS);
        if (tsct_fit_model_add_peak(m, v, &e) != TSCT_OK)
            return refuse(err, k, "--peak %s", e.message);
    } else if (strcmp(k, "background") == 0) {
        if (strcmp(v, "none") == 0)
            m->bg_degree = -1;
        else if (whole(v, &n) || n < 0 || n > TSCT_FIT_MAX_BG_DEGREE)
            return refuse(err, k, "--background expects 0..3 or none, got '%s'", v);
        else
            m->bg_degree = (int)n;
    } else if (strcmp(k, "name") == 0) {
        p->name = v;
    } else if (strcmp(k, "source") == 0) {
        if (strcmp(v, "recon") && strcmp(v, "pdf") && strcmp(v, "integrated"))
            return refuse(err, k, "--source expects recon, pdf or integrated, got '%s'", v);
        p->source = v[0] == 'p'   ? TSCT_STAGE_FIT_SOURCE_PDF
                    : v[0] == 'i' ? TSCT_STAGE_FIT_SOURCE_INTEGRATED
                                  : TSCT_STAGE_FIT_SOURCE_RECON;
    } else if (strcmp(k, "threshold") == 0) {
        if (number(v, &x) || x < 0 || x > 1)
            return refuse(err, k, "--threshold expects a fraction 0..1, got '%s'", v);
        p->threshold = x;
    } else if (strcmp(k, "mask-map") == 0) {
        p->mask_map = v;
    } else if (strcmp(k, "maps") == 0) {
        p->maps = v;
    } else if (strcmp(k, "max-iter") == 0) {
        if (whole(v, &n) || n < 1 || n > 1000000)
            return refuse(err, k, "--max-iter expects 1..1000000, got '%s'", v);
        p->fit.max_iter = (int)n;
    } else {
        if (number(v, &x) || x < 0)
            return refuse(err, k, "--%s expects a number >= 0, got '%s'", k, v);
        *(k[0] == 'f' ? &p->fit.ftol : k[0] == 'x' ? &p->fit.xtol : &p->fit.gtol) = x;
    }
    return TSCT_OK;
}

/* ---- the tables -------------------------------------------------------------------------- */

static const struct {
    const char *name;
    const tsct_stage_option *options;
    tsct_status (*set)(void *params, const char *key, const char *value, tsct_error *err);
} stages[TSCT_STAGE_ID_COUNT] = {
    [TSCT_STAGE_ID_INTEGRATE] = {"integrate", integrate_options, integrate_set},
    [TSCT_STAGE_ID_SINOGRAM] = {"sinogram", sinogram_options, sinogram_set},
    [TSCT_STAGE_ID_RECON] = {"recon", recon_options, recon_set},
    [TSCT_STAGE_ID_REGION] = {"region", region_options, region_set},
    [TSCT_STAGE_ID_MAP] = {"map", map_options, map_set},
    [TSCT_STAGE_ID_PARTICLES] = {"particles", particles_options, particles_set},
    [TSCT_STAGE_ID_COVERAGE] = {"coverage", coverage_options, coverage_set},
    [TSCT_STAGE_ID_ECHEM] = {"echem", echem_options, echem_set},
    [TSCT_STAGE_ID_FIT] = {"fit", fit_options, fit_set},
    [TSCT_STAGE_ID_PDF] = {"pdf", tsct__stage_pdf_options, tsct__stage_pdf_set},
    [TSCT_STAGE_ID_FIGURE] = {"figure", tsct__stage_figure_options, tsct__stage_figure_set},
    [TSCT_STAGE_ID_REFINE] = {"refine", tsct__stage_refine_options, tsct__stage_refine_set},
    [TSCT_STAGE_ID_PATTERN] = {"pattern", tsct__stage_pattern_options, tsct__stage_pattern_set},
    [TSCT_STAGE_ID_DEBYE] = {"debye", tsct__stage_debye_options, tsct__stage_debye_set},
    [TSCT_STAGE_ID_EDXRD] = {"edxrd", tsct__stage_edxrd_options, tsct__stage_edxrd_set},
    [TSCT_STAGE_ID_EDXRD_FIGURE] = {"edxrd figure", tsct__stage_edxrd_figure_options,
                                    tsct__stage_edxrd_figure_set},
};

const tsct_stage_option *tsct_stage_options(tsct_stage_id stage)
{
    return (unsigned)stage < TSCT_STAGE_ID_COUNT ? stages[stage].options : NULL;
}

const char *tsct_stage_id_name(tsct_stage_id stage)
{
    return (unsigned)stage < TSCT_STAGE_ID_COUNT ? stages[stage].name : "";
}

const tsct_stage_option *tsct_stage_option_find(tsct_stage_id stage, const char *key)
{
    const tsct_stage_option *o = tsct_stage_options(stage);
    for (; o && key && o->name; o++)
        if (strcmp(o->name, key) == 0)
            return o;
    return NULL;
}

tsct_status tsct_stage_option_set(tsct_stage_id stage, void *params, const char *key,
                                  const char *value, tsct_error *err)
{
    const tsct_stage_option *o = tsct_stage_option_find(stage, key);
    if (!o)
        return refuse(err, key ? key : "", "'tsct %s' has no option --%s",
                      tsct_stage_id_name(stage), key ? key : "");
    if (o->front)
        return tsct_error_set(err, TSCT_ERR_UNSUPPORTED, NULL, key, -1,
                              "--%s names a file the front end writes, not a setting of the "
                              "stage", key);
    if (o->kind == TSCT_STAGE_OPTION_FLAG) {
        if (value && strcmp(value, "yes") != 0 && strcmp(value, "true") != 0)
            return refuse(err, key, "--%s is a flag: yes or no, got '%s'", key, value);
    } else if (!value) {
        return refuse(err, key, "--%s needs a value", key);
    }
    return stages[stage].set(params, key, value, err);
}

tsct_status tsct_stage_options_check(tsct_stage_id stage, const void *params, tsct_error *err)
{
    switch (stage) {
    case TSCT_STAGE_ID_REGION: {
        const tsct_stage_region_params *p = params;
        if (!tsct_stage_name_valid(p->name, 63, "_-."))
            return refuse(err, "name", "--name expects 1-63 letters, digits, '_', '-', '.'");
        if ((p->radius > 0) + !!p->map + !!p->file != 1)
            return refuse(err, "circle", "give one of --circle DX,DY,R, --mask-map MAP, "
                                         "--mask-file IMAGE");
        return TSCT_OK;
    }
    case TSCT_STAGE_ID_MAP: {
        const tsct_stage_map_params *p = params;
        if (!p->definitions || tsct_stage_map_defs_count(p->definitions) == 0)
            return refuse(err, "window", "no map defined (use -d FILE or --window, --gr, ...)");
        return TSCT_OK;
    }
    case TSCT_STAGE_ID_PARTICLES:
        if (!((const tsct_stage_particles_params *)params)->map)
            return refuse(err, "map", "missing --map NAME");
        return TSCT_OK;
    case TSCT_STAGE_ID_COVERAGE:
        if (!((const tsct_stage_coverage_params *)params)->map)
            return refuse(err, "map", "missing --map NAME");
        return TSCT_OK;
    case TSCT_STAGE_ID_ECHEM: {
        const tsct_stage_echem_params *p = params;
        if (!p->file)
            return refuse(err, "file", "missing the potentiostat file");
        if (p->mass_mg <= 0)
            return refuse(err, "mass", "missing --mass MG (the active mass, for mAh/g)");
        if (!p->windows && p->period <= 0)
            return refuse(err, "period", "the tomogram times: --period S (with --start, "
                                         "--duration) or --windows FILE");
        return TSCT_OK;
    }
    case TSCT_STAGE_ID_FIT: {
        const tsct_stage_fit_voxels_params *p = params;
        if (!p->model || !isfinite(p->model->xmin))
            return refuse(err, "window", "missing --window A:B");
        if (p->model->npeaks == 0)
            return refuse(err, "peak", "missing --peak (e.g. --peak pv@2.31)");
        if (!p->name)
            return refuse(err, "name", "missing --name NAME");
        if (!*p->name || strlen(p->name) > 48)
            return refuse(err, "name", "--name must be 1..48 characters");
        if (!tsct_stage_name_valid(p->name, 48, "_"))
            return refuse(err, "name", "--name may hold letters, digits and '_', got '%s'",
                          p->name);
        return TSCT_OK;
    }
    case TSCT_STAGE_ID_PDF: return tsct__stage_pdf_check(params, err);
    case TSCT_STAGE_ID_FIGURE: return tsct__stage_figure_check(params, err);
    case TSCT_STAGE_ID_REFINE: return tsct__stage_refine_check(params, err);
    case TSCT_STAGE_ID_PATTERN: return tsct__stage_pattern_check(params, err);
    case TSCT_STAGE_ID_DEBYE: return tsct__stage_debye_check(params, err);
    case TSCT_STAGE_ID_EDXRD: return tsct__stage_edxrd_check(params, err);
    case TSCT_STAGE_ID_EDXRD_FIGURE: return tsct__stage_edxrd_figure_check(params, err);
    default: return TSCT_OK;
    }
}
