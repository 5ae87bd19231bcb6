/* stage_refine_series.c - sequential refinement of a series (`tsct refine -c CFG` with a
 * [series] section): the time steps of a container's region (/entry/regions/NAME/pattern),
 * of /entry/integrated summed over each time step, or a list of pattern files in order.
 *
 * The configuration is that of one pattern (stage_refine.c, read through
 * stage_refine_internal.h); the model is built once on the grid of the first step, and every
 * step refines the same parameters starting from the previous step's result (start =
 * previous, the default) or from the configuration's values (start = first). The results go
 * through one step of the container (tsct/container.h), one unit per time step, so a killed
 * series resumes from the last finished step (its values read back from the work file):
 *
 *   /entry/refine/NAME/COMP/PARAM, PARAM_esd   [nt][1][1][1]  every refined parameter
 *   /entry/refine/NAME/PHASE/weight_fraction, weight_fraction_esd, volume
 *   /entry/refine/NAME/rwp, gof, status         (0 converged, 1 iteration limit, 2 singular,
 *                                                3 failed: the model could not be refined)
 *
 * the map layout [nt][nz][ny][nx] of the per-voxel refinement with nz = ny = nx = 1. After the
 * commit the committed results are read back into PREFIX-parameters.csv (one row per step,
 * with time, capacity and voltage of /entry/echem when the container has them) and one figure
 * per nonlinear parameter and weight fraction against time, and the voltage against the same
 * time axis.
 */
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stage_internal.h"
#include "stage_refine_internal.h"
#include "tsct/container.h"
#include "tsct/echem.h"
#include "tsct/figure.h"
#include "tsct/pattern.h"
#include "tsct/publish.h"
#include "tsct/stage.h"

enum { SRC_REGION, SRC_INTEGRATED, SRC_FILES };
enum { COL_VALUE, COL_ESD, COL_WF, COL_WF_ESD, COL_VOLUME, COL_RWP, COL_GOF, COL_STATUS };

#define SERIES_NAME_MAX 48

/* One output dataset [nt][1][1][1] and the CSV column of the same name. */
typedef struct column {
    int kind, index;        /* COL_*, the parameter or phase */
    const int *absent;      /* its phase's absence in the current step (NULL: no phase) */
    char name[TSCT_REFINE_NAME_MAX * 2 + 24]; /* CSV header: "CeO2.a", "CeO2.a_esd", "rwp" */
    char path[TSCT_INI_VALUE_MAX + 256];
    tsct_dataset *d;
} column;

typedef struct series {
    int source, start_first;
    double absent_below;                /* a phase under this weight fraction is absent */
    int absent[TSCT_REFINE_MAX_PHASES]; /* in the step being refined */
    char name[SERIES_NAME_MAX];
    char step[SERIES_NAME_MAX + 8];     /* the container step: refine_NAME in lower case */
    char input[TSCT_INI_PATH_MAX];      /* the container of a region or integrated source */
    char output[TSCT_INI_PATH_MAX];     /* the container the results go to */
    char srcpath[TSCT_INI_VALUE_MAX + 64]; /* the dataset read */
    char **files;
    int64_t nt;
    const tsct_ini_entry *ce;           /* [data] container */
    tsct_container *h;
    tsct_dataset *src;
    int64_t shape[8];
    double *q;                          /* the source's axis [nq] */
    int64_t nq;
    float *row;
    double wavelength;                  /* the container's */
    column *col;
    int ncol;
} series;

static void series_release(series *s)
{
    for (int64_t i = 0; s->files && i < s->nt; i++)
        free(s->files[i]);
    free(s->files);
    free(s->q), free(s->row), free(s->col);
    tsct_dataset_close(s->src);
}

int tsct__refine_is_series(const char *config)
{
    tsct_ini ini;
    memset(&ini, 0, sizeof ini);
    if (tsct_ini_read(&ini, config, NULL) != TSCT_OK)
        return 0;
    int yes = tsct_ini_has_section(&ini, "series");
    tsct_ini_release(&ini);
    return yes;
}

/* [series] files = WORDS: each word a file or a glob pattern (sorted), relative to the
 * configuration's folder, in the order given. */
static tsct_status list_files(series *s, const tsct_ini *ini, const tsct_ini_entry *e,
                              tsct_error *err)
{
    char w[TSCT_INI_VALUE_MAX];
    snprintf(w, sizeof w, "%s", e->value);
    int64_t cap = 0;
    for (char *save = NULL, *tok = strtok_r(w, " \t,", &save); tok;
         tok = strtok_r(NULL, " \t,", &save)) {
        char pat[TSCT_INI_PATH_MAX];
        tsct__refine_cfg_path(ini, tok, pat, sizeof pat);
        glob_t g;
        int r = glob(pat, GLOB_ERR, NULL, &g);
        if (r == GLOB_NOMATCH || (r == 0 && g.gl_pathc == 0)) {
            globfree(&g);
            return tsct_ini_error(ini, e, TSCT_ERR_NOT_FOUND, err, "no file matches %s", pat);
        }
        if (r != 0) {
            globfree(&g);
            return tsct_ini_error(ini, e, TSCT_ERR_IO, err, "cannot list %s", pat);
        }
        for (size_t i = 0; i < g.gl_pathc; i++) {
            if (s->nt == cap) {
                cap = cap ? 2 * cap : 64;
                char **f = realloc(s->files, (size_t)cap * sizeof *f);
                if (!f) {
                    globfree(&g);
                    return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
                }
                s->files = f;
            }
            if (!(s->files[s->nt] = strdup(g.gl_pathv[i]))) {
                globfree(&g);
                return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
            }
            s->nt++;
        }
        globfree(&g);
    }
    if (s->nt == 0)
        return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err, "names no file");
    return TSCT_OK;
}

/* The [series] section and the source it names. */
static tsct_status read_series(series *s, const tsct_ini *ini, tsct_error *err)
{
    static const char *const keys[] = {"source", "files", "output", "name", "start",
                                       "absent_below", NULL};
    for (int64_t j = 0; j < ini->n; j++) {
        const tsct_ini_entry *e = &ini->e[j];
        int ok = strcmp(e->section, "series") != 0;
        for (int k = 0; !ok && keys[k]; k++)
            ok = strcmp(e->key, keys[k]) == 0;
        if (!ok)
            return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                                  "unknown key: [series] has source, files, output, name, "
                                  "start, absent_below");
    }
    const tsct_ini_entry *e, *fe = tsct_ini_find(ini, "series", "files");
    s->ce = tsct_ini_find(ini, "data", "container");
    const tsct_ini_entry *re = tsct_ini_find(ini, "data", "region");
    s->source = fe ? SRC_FILES : re ? SRC_REGION : SRC_INTEGRATED;
    if ((e = tsct_ini_find(ini, "series", "source"))) {
        static const char *const src[] = {"region", "integrated", "files", NULL};
        TSCT_TRY(tsct_ini_value_enum(ini, e, src, &s->source, err));
    }
    if ((e = tsct_ini_find(ini, "series", "start"))) {
        static const char *const start[] = {"previous", "first", NULL};
        TSCT_TRY(tsct_ini_value_enum(ini, e, start, &s->start_first, err));
    }
    if ((e = tsct_ini_find(ini, "series", "absent_below")))
        TSCT_TRY(tsct_ini_value_double(ini, e, 0, 0.5, &s->absent_below, err));
    snprintf(s->name, sizeof s->name, "series");
    if ((e = tsct_ini_find(ini, "series", "name"))) {
        if (!tsct_stage_name_valid(e->value, SERIES_NAME_MAX - 1, "_"))
            return tsct_ini_error(ini, e, TSCT_ERR_VALUE, err,
                                  "expected 1 .. %d letters, digits or '_'", SERIES_NAME_MAX - 1);
        snprintf(s->name, sizeof s->name, "%.*s", SERIES_NAME_MAX - 1, e->value);
    }
    snprintf(s->step, sizeof s->step, "refine_%s", s->name);
    for (char *p = s->step; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    const tsct_ini_entry *one = tsct_ini_find(ini, "data", "file");
    if (!one)
        one = tsct_ini_find(ini, "data", "time");
    if (one)
        return tsct_ini_error(ini, one, TSCT_ERR_VALUE, err,
                              "a series takes its patterns from [series] files or every time "
                              "step of [data] container");
    const tsct_ini_entry *oe = tsct_ini_find(ini, "series", "output");
    if (s->source == SRC_FILES) {
        if (!fe)
            return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, "[series] files", -1,
                                  "source = files needs files = PATTERNS (files or globs, in "
                                  "order)");
        if (!oe)
            return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, "[series] output", -1,
                                  "a series of files needs output = EXP.h5 (the container the "
                                  "results go to; made when absent)");
        if (s->ce)
            return tsct_ini_error(ini, s->ce, TSCT_ERR_VALUE, err,
                                  "a series of files reads no container: drop it");
        tsct__refine_cfg_path(ini, oe->value, s->output, sizeof s->output);
        return list_files(s, ini, fe, err);
    }
    if (fe)
        return tsct_ini_error(ini, fe, TSCT_ERR_VALUE, err, "files belong to source = files");
    if (oe)
        return tsct_ini_error(ini, oe, TSCT_ERR_VALUE, err,
                              "the results of a container's series go to that container");
    if (!s->ce)
        return tsct_error_set(err, TSCT_ERR_VALUE, ini->path, "[data] container", -1,
                              "a %s series needs [data] container = EXP.h5",
                              s->source == SRC_REGION ? "region" : "integrated");
    if (s->source == SRC_REGION && !re)
        return tsct_ini_error(ini, s->ce, TSCT_ERR_VALUE, err,
                              "source = region needs [data] region = NAME");
    if (s->source == SRC_INTEGRATED && re)
        return tsct_ini_error(ini, re, TSCT_ERR_VALUE, err,
                              "source = integrated sums every frame of a time step: drop "
                              "region");
    tsct__refine_cfg_path(ini, s->ce->value, s->input, sizeof s->input);
    snprintf(s->output, sizeof s->output, "%s", s->input);
    if (s->source == SRC_REGION)
        snprintf(s->srcpath, sizeof s->srcpath, TSCT_PATH_REGIONS "/%s/pattern", re->value);
    else
        snprintf(s->srcpath, sizeof s->srcpath, "%s", TSCT_PATH_INTEGRATED);
    return TSCT_OK;
}

/* Open the container's source: its dataset, axis and time steps. */
static tsct_status open_source(series *s, tsct_error *err)
{
    char axis[TSCT_INI_VALUE_MAX + 64];
    if (!tsct_container_exists(s->h, s->srcpath))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, s->input, s->srcpath, -1,
                              "no such dataset (%s makes it)",
                              s->source == SRC_REGION ? "tsct region" : "tsct integrate");
    if (s->source == SRC_REGION) {
        snprintf(axis, sizeof axis, "%.*s/q", (int)(strlen(s->srcpath) - strlen("/pattern")),
                 s->srcpath);
        if (!tsct_container_exists(s->h, axis))
            snprintf(axis, sizeof axis, "%s", TSCT_PATH_RECON_Q);
    } else
        snprintf(axis, sizeof axis, "%s", TSCT_PATH_INTEGRATED_Q);
    TSCT_TRY(tsct_container_read_vector(s->h, axis, &s->q, &s->nq, err));
    TSCT_TRY(tsct_dataset_open(s->h, s->srcpath, &s->src, err));
    int nd = tsct_dataset_shape(s->src, s->shape);
    const int want = s->source == SRC_REGION ? 2 : 5;
    if (nd != want || s->shape[nd - 1] != s->nq)
        return tsct_error_set(err, TSCT_ERR_SHAPE, s->input, s->srcpath, -1,
                              "expected [nt]%s[%lld] (the length of %s)",
                              want == 5 ? "[nz][na][ns]" : "", (long long)s->nq, axis);
    s->nt = s->shape[0];
    if (s->nt < 1)
        return tsct_error_set(err, TSCT_ERR_SHAPE, s->input, s->srcpath, -1, "no time step");
    int64_t rowlen = want == 5 ? s->shape[3] * s->nq : s->nq;
    if (!(s->row = malloc((size_t)rowlen * sizeof *s->row)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    s->wavelength = tsct_stage_wavelength(s->h);
    return TSCT_OK;
}

/* The pattern of time step t as read into c->x, y, n, then [data] applied. */
static tsct_status load_step(series *s, tsct__refine_cfg *c, int64_t t, tsct_error *err)
{
    free(c->x), free(c->y), free(c->w);
    c->x = c->y = c->w = NULL;
    c->n = 0;
    if (s->source == SRC_FILES) {
        snprintf(c->path, sizeof c->path, "%s", s->files[t]);
        TSCT_TRY(tsct_pattern_read_text(c->path, &c->x, &c->y, &c->n, err));
        tsct__refine_header_unit(c->path, &c->axis, &c->xscale);
        return tsct__refine_data_finish(c, NULL, 0, err);
    }
    const int64_t nq = s->nq;
    c->x = malloc((size_t)nq * sizeof *c->x);
    c->y = malloc((size_t)nq * sizeof *c->y);
    if (!c->x || !c->y)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    memcpy(c->x, s->q, (size_t)nq * sizeof *c->x);
    c->n = nq;
    c->axis = TSCT_POWDER_AXIS_Q;
    c->xscale = 1;
    if (s->source == SRC_REGION) {
        int64_t start[2] = {t, 0}, count[2] = {1, nq};
        TSCT_TRY(tsct_dataset_read(s->src, start, count, s->row, err));
        for (int64_t i = 0; i < nq; i++)
            c->y[i] = s->row[i];
    } else {
        /* The sum over the time step's frames; a bin empty in every frame stays NaN (left
         * out by its weight 0). */
        int64_t *used = calloc((size_t)nq, sizeof *used);
        if (!used)
            return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
        for (int64_t i = 0; i < nq; i++)
            c->y[i] = 0;
        tsct_status st = TSCT_OK;
        for (int64_t z = 0; st == TSCT_OK && z < s->shape[1]; z++)
            for (int64_t a = 0; st == TSCT_OK && a < s->shape[2]; a++) {
                int64_t start[5] = {t, z, a, 0, 0}, count[5] = {1, 1, 1, s->shape[3], nq};
                st = tsct_dataset_read(s->src, start, count, s->row, err);
                for (int64_t k = 0; st == TSCT_OK && k < s->shape[3] * nq; k++)
                    if (isfinite(s->row[k]))
                        c->y[k % nq] += s->row[k], used[k % nq]++;
            }
        for (int64_t i = 0; i < nq; i++)
            if (!used[i])
                c->y[i] = NAN;
        free(used);
        TSCT_TRY(st);
    }
    if (snprintf(c->path, sizeof c->path, "%.2000s::%.1000s[%lld]", s->input, s->srcpath,
                 (long long)t) < 0)
        c->path[0] = '\0';
    return tsct__refine_data_finish(c, s->ce, s->wavelength, err);
}

/* The phase a parameter "PHASE.x" belongs to, or -1. */
static int phase_of(tsct_refine_model *m, const char *name)
{
    for (int p = 0; p < tsct_refine_model_phase_count(m); p++) {
        const char *ph = tsct_refine_model_phase_name(m, p);
        size_t l = strlen(ph);
        if (strncmp(name, ph, l) == 0 && name[l] == '.')
            return p;
    }
    return -1;
}

/* The output columns: every refined parameter and its ESD, each phase's weight fraction, its
 * ESD and the cell volume, then Rwp, GoF and the status. */
static tsct_status make_columns(series *s, tsct_refine_model *m, tsct_error *err)
{
    const int np = tsct_refine_model_nparams(m), nph = tsct_refine_model_phase_count(m);
    s->col = calloc((size_t)(2 * np + 3 * nph + 3), sizeof *s->col);
    if (!s->col)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    int n = 0;
    for (int i = 0; i < np; i++) {
        const tsct_refine_param *q = tsct_refine_model_param(m, i);
        if (!q->refine || tsct_refine_model_find(m, q->name) != i)
            continue;
        for (int k = 0; k < 2; k++) {
            s->col[n].kind = k ? COL_ESD : COL_VALUE;
            s->col[n].index = i;
            snprintf(s->col[n].name, sizeof s->col[n].name, "%s%s", q->name, k ? "_esd" : "");
            n++;
        }
    }
    static const char *const ph[3] = {"weight_fraction", "weight_fraction_esd", "volume"};
    for (int p = 0; p < nph; p++)
        for (int k = 0; k < 3; k++) {
            s->col[n].kind = COL_WF + k;
            s->col[n].index = p;
            snprintf(s->col[n].name, sizeof s->col[n].name, "%s.%s",
                     tsct_refine_model_phase_name(m, p), ph[k]);
            n++;
        }
    static const char *const g[3] = {"rwp", "gof", "status"};
    for (int k = 0; k < 3; k++) {
        s->col[n].kind = COL_RWP + k;
        snprintf(s->col[n].name, sizeof s->col[n].name, "%s", g[k]);
        n++;
    }
    s->ncol = n;
    for (int j = 0; j < n; j++) {
        int owner = s->col[j].kind <= COL_ESD ? phase_of(m, s->col[j].name)
                    : s->col[j].kind <= COL_VOLUME ? s->col[j].index
                                                    : -1;
        s->col[j].absent = owner >= 0 ? &s->absent[owner] : NULL;
    }
    /* "COMP.PARAM[_esd]" -> /entry/refine/NAME/COMP/PARAM[_esd] */
    for (int j = 0; j < n; j++) {
        char rel[sizeof s->col[j].name];
        snprintf(rel, sizeof rel, "%s", s->col[j].name);
        char *dot = strchr(rel, '.');
        if (dot)
            *dot = '/';
        snprintf(s->col[j].path, sizeof s->col[j].path, "/entry/refine/%s/%s", s->name, rel);
    }
    return TSCT_OK;
}

static double column_value(const column *k, tsct_refine_model *m, const tsct_refine_result *r,
                           int status)
{
    if (status == 3 && k->kind != COL_STATUS)
        return NAN;
    const tsct_refine_param *q = k->kind <= COL_ESD ? tsct_refine_model_param(m, k->index) : NULL;
    if (k->absent && *k->absent && k->kind != COL_WF)
        return NAN;
    switch (k->kind) {
    case COL_VALUE: return q->value;
    case COL_ESD: return q->refine && !q->at_bound ? q->esd : NAN;
    case COL_WF: return r->weight_fraction[k->index];
    case COL_WF_ESD: return r->weight_fraction_esd[k->index];
    case COL_VOLUME: return tsct_refine_model_phase_volume(m, k->index);
    case COL_RWP: return r->rwp;
    case COL_GOF: return r->gof;
    default: return status;
    }
}

/* The settings the results depend on: the configuration's entries, the source and, for
 * files, their sizes and times (a rewritten file changes them). */
static char *settings_text(const series *s, const tsct_ini *ini)
{
    tsct_stage_settings st;
    tsct_stage_settings_init(&st);
    for (int64_t j = 0; j < ini->n; j++)
        tsct_stage_settings_add(&st, "cfg", "[%s]%s=%s", ini->e[j].section, ini->e[j].key,
                                ini->e[j].value);
    for (int64_t t = 0; s->source == SRC_FILES && t < s->nt; t++) {
        struct stat sb;
        if (stat(s->files[t], &sb) != 0)
            memset(&sb, 0, sizeof sb);
        tsct_stage_settings_add(&st, "file", "%s:%lld:%lld", s->files[t], (long long)sb.st_size,
                                (long long)sb.st_mtime);
    }
    if (s->source != SRC_FILES) {
        const char *const paths[2] = {s->srcpath, NULL};
        char *stamps = tsct_step_input_stamps(s->h, paths);
        tsct_stage_settings_add(&st, "input", "%s", stamps ? stamps : "?");
        free(stamps);
    }
    char *text = st.failed ? NULL : st.text;
    if (!text)
        tsct_stage_settings_release(&st);
    return text;
}

/* Set the model's nonlinear refined parameters to the values of time step t as the work
 * file holds them (a step finished by an earlier, interrupted run); non-finite ones (a failed
 * step) are left as they are. */
static tsct_status start_from_stored(series *s, tsct_refine_model *m, int64_t t,
                                     tsct_error *err)
{
    for (int j = 0; j < s->ncol; j++) {
        if (s->col[j].kind != COL_VALUE)
            continue;
        tsct_refine_param *q = tsct_refine_model_param(m, s->col[j].index);
        if (q->linear)
            continue;
        float v;
        int64_t start[4] = {t, 0, 0, 0}, count[4] = {1, 1, 1, 1};
        TSCT_TRY(tsct_dataset_read(s->col[j].d, start, count, &v, err));
        if (isfinite(v) && v >= q->lo && v <= q->hi)
            q->value = v;
    }
    return TSCT_OK;
}

/* After a refinement: the phases under absent_below in weight fraction are absent from this
 * step (marked in s->absent): their scale held at 0, their other parameters back at the
 * step's start (keep) and held, so that the next refinement does not chase parameters no
 * data determine. Returns 1 when some phase was dropped (refine again). */
static int drop_absent(series *s, tsct_refine_model *m, const tsct_refine_result *r,
                       const double *keep)
{
    int dropped = 0;
    for (int p = 0; p < tsct_refine_model_phase_count(m); p++)
        if (r->weight_fraction[p] < s->absent_below)
            s->absent[p] = 1, dropped = 1;
    for (int i = 0; dropped && i < tsct_refine_model_nparams(m); i++) {
        tsct_refine_param *q = tsct_refine_model_param(m, i);
        int p = phase_of(m, q->name);
        if (p < 0 || !s->absent[p])
            continue;
        q->value = q->linear ? 0 : keep[i];
        q->refine = 0;
    }
    return dropped;
}

/* The refinement of every time step, through the container step. */
static tsct_status run_steps(series *s, tsct__refine_cfg *c, const tsct_stage_ctx *ctx,
                             const tsct_stage_refine_params *p, const char *fingerprint,
                             int64_t *computed, tsct_error *err)
{
    tsct_refine_model *m = c->m;
    const int np = tsct_refine_model_nparams(m);
    tsct_refine_params rp = TSCT_REFINE_PARAMS_DEFAULT;
    TSCT_TRY(tsct__refine_params_read(&c->ini, &rp, err));
    double *first = malloc((size_t)np * sizeof *first), *keep = malloc((size_t)np * sizeof *keep);
    double *x0 = malloc((size_t)c->n * sizeof *x0);
    int *refine0 = malloc((size_t)np * sizeof *refine0);
    c->calc = malloc((size_t)c->n * sizeof *c->calc);
    if (!first || !keep || !x0 || !c->calc || !refine0) {
        free(first), free(keep), free(x0), free(refine0);
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    }
    for (int i = 0; i < np; i++) {
        first[i] = tsct_refine_model_param(m, i)->value;
        refine0[i] = tsct_refine_model_param(m, i)->refine;
    }
    const int64_t n0 = c->n;
    memcpy(x0, c->x, (size_t)n0 * sizeof *x0);
    tsct_step_info info = {.name = s->step, .command = ctx->command_line,
                           .config = fingerprint, .fingerprint = fingerprint, .nunits = s->nt};
    tsct_step *step = NULL;
    tsct_status st = tsct_step_begin(s->h, &info, ctx->log, &step, err);
    const int64_t shape[4] = {s->nt, 1, 1, 1};
    for (int j = 0; st == TSCT_OK && j < s->ncol; j++)
        st = tsct_step_dataset(step, s->col[j].path, 4, shape, -1, NULL, &s->col[j].d, err);
    int prev_here = 0; /* the model holds step t - 1's result */
    for (int64_t t = 0; st == TSCT_OK && t < s->nt; t++) {
        if (tsct_step_is_done(step, t)) {
            prev_here = 0;
            continue;
        }
        if (s->start_first)
            for (int i = 0; i < np; i++)
                tsct_refine_model_param(m, i)->value = first[i];
        else if (t > 0 && !prev_here)
            st = start_from_stored(s, m, t - 1, err);
        if (st == TSCT_OK && (t > 0 || tsct_step_done_count(step) > 0))
            st = load_step(s, c, t, err);
        if (st == TSCT_OK && c->n != n0)
            st = tsct_error_set(err, TSCT_ERR_SHAPE, c->path, "[data] range", t,
                                "%lld points in range where the first pattern has %lld: every "
                                "pattern of a series must share its grid",
                                (long long)c->n, (long long)n0);
        for (int64_t i = 0; st == TSCT_OK && i < n0; i++)
            if (fabs(c->x[i] - x0[i]) > 1e-9 * fabs(x0[i]))
                st = tsct_error_set(err, TSCT_ERR_SHAPE, c->path, "x", i,
                                    "point %lld at %.10g where the first pattern has %.10g: "
                                    "every pattern of a series must share its grid",
                                    (long long)i, c->x[i], x0[i]);
        if (st != TSCT_OK)
            break;
        for (int i = 0; i < np; i++)
            keep[i] = tsct_refine_model_param(m, i)->value;
        tsct_error e2 = TSCT_ERROR_INIT;
        memset(&c->res, 0, sizeof c->res);
        for (int i = 0; i < np; i++)
            tsct_refine_model_param(m, i)->refine = refine0[i];
        memset(s->absent, 0, sizeof s->absent);
        tsct_status rs = tsct_refine_run(m, c->y, c->w, &rp, &c->res, c->calc, &e2);
        if ((rs == TSCT_OK || rs == TSCT_NOT_CONVERGED) && s->absent_below > 0 &&
            drop_absent(s, m, &c->res, keep))
            rs = tsct_refine_run(m, c->y, c->w, &rp, &c->res, c->calc, &e2);
        int status = rs == TSCT_OK ? (int)c->res.status : rs == TSCT_NOT_CONVERGED ? 1 : 3;
        if (status == 3) {
            for (int i = 0; i < np; i++)
                tsct_refine_model_param(m, i)->value = keep[i];
            tsct_log_msg(ctx->log, TSCT_LOG_WARN, "%s: not refined (status 3): %s", c->path,
                         e2.message);
        }
        for (int j = 0; st == TSCT_OK && j < s->ncol; j++) {
            float v = (float)column_value(&s->col[j], m, &c->res, status);
            int64_t start[4] = {t, 0, 0, 0}, count[4] = {1, 1, 1, 1};
            st = tsct_dataset_write(s->col[j].d, start, count, &v, err);
        }
        if (st == TSCT_OK)
            st = tsct_step_mark_done(step, t, 1, err);
        if (st == TSCT_OK && p->report)
            fprintf(p->report, "step %lld/%lld %s: Rwp %.3f %%, GoF %.3f, %s (%d iterations)\n",
                    (long long)t + 1, (long long)s->nt, c->path, 100 * c->res.rwp, c->res.gof,
                    status == 3 ? "failed" : tsct__refine_status_name(c->res.status),
                    c->res.niter);
        prev_here = status != 3;
        (*computed)++;
    }
    for (int j = 0; j < s->ncol; j++) {
        tsct_dataset_close(s->col[j].d);
        s->col[j].d = NULL;
    }
    free(first), free(keep), free(x0), free(refine0);
    if (st != TSCT_OK) {
        tsct_step_close(step);
        return st;
    }
    return tsct_step_commit(step, err);
}

/* ---- the table and the figures ------------------------------------------------------------ */

/* The committed results [ncol][nt] and, per step, time (s), capacity and voltage from the
 * container (NaN where unknown). */
typedef struct table {
    double *v, *time, *cap, *volt;
    int have_echem;
    tsct_echem_stored e;
} table;

static void table_release(table *tb)
{
    free(tb->v), free(tb->time), free(tb->cap), free(tb->volt);
    if (tb->have_echem)
        tsct_echem_stored_release(&tb->e);
}

static tsct_status read_table(series *s, table *tb, tsct_error *err)
{
    const int64_t nt = s->nt;
    memset(tb, 0, sizeof *tb);
    tb->v = malloc((size_t)(s->ncol * nt) * sizeof *tb->v);
    tb->time = malloc((size_t)nt * sizeof *tb->time);
    tb->cap = malloc((size_t)nt * sizeof *tb->cap);
    tb->volt = malloc((size_t)nt * sizeof *tb->volt);
    float *buf = malloc((size_t)nt * sizeof *buf);
    tsct_status st = TSCT_OK;
    if (!tb->v || !tb->time || !tb->cap || !tb->volt || !buf)
        st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    for (int j = 0; st == TSCT_OK && j < s->ncol; j++) {
        tsct_dataset *d = NULL;
        int64_t start[4] = {0, 0, 0, 0}, count[4] = {nt, 1, 1, 1};
        st = tsct_dataset_open(s->h, s->col[j].path, &d, err);
        if (st == TSCT_OK)
            st = tsct_dataset_read(d, start, count, buf, err);
        for (int64_t t = 0; st == TSCT_OK && t < nt; t++)
            tb->v[j * nt + t] = buf[t];
        tsct_dataset_close(d);
    }
    free(buf);
    for (int64_t t = 0; st == TSCT_OK && t < nt; t++)
        tb->time[t] = tb->cap[t] = tb->volt[t] = NAN;
    if (st == TSCT_OK && tsct_container_exists(s->h, TSCT_PATH_ECHEM)) {
        st = tsct_echem_stored_read(s->h, &tb->e, err);
        tb->have_echem = st == TSCT_OK;
        const tsct_echem_stored *e = &tb->e;
        for (int64_t t = 0; st == TSCT_OK && t < nt && t < e->nt; t++) {
            if (e->tomogram_start && e->tomogram_end)
                tb->time[t] = 0.5 * (e->tomogram_start[t] + e->tomogram_end[t]);
            if (e->tomogram_capacity)
                tb->cap[t] = e->tomogram_capacity[t];
            if (e->tomogram_voltage)
                tb->volt[t] = e->tomogram_voltage[t];
        }
    }
    double *stime = NULL;
    int64_t ns = 0;
    if (st == TSCT_OK && s->source != SRC_FILES &&
        tsct_container_exists(s->h, TSCT_PATH_SCAN "/time") &&
        tsct_container_read_vector(s->h, TSCT_PATH_SCAN "/time", &stime, &ns, NULL) == TSCT_OK &&
        ns == nt)
        for (int64_t t = 0; t < nt; t++)
            if (!isfinite(tb->time[t]))
                tb->time[t] = stime[t];
    free(stime);
    return st;
}

static void csv_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.10g", v);
    else
        fprintf(f, ",nan");
}

typedef struct csv_arg {
    const series *s;
    const table *tb;
} csv_arg;

static void write_csv(FILE *f, const void *arg)
{
    const csv_arg *a = arg;
    const series *s = a->s;
    const table *tb = a->tb;
    fprintf(f, "# tsct refine series %s: /entry/refine/%s of %s; status 0 converged, 1 "
               "iteration limit, 2 singular, 3 failed\n",
            s->name, s->name, s->output);
    fprintf(f, "step,time,capacity,voltage");
    for (int j = 0; j < s->ncol; j++)
        fprintf(f, ",%s", s->col[j].name);
    fprintf(f, "\n");
    for (int64_t t = 0; t < s->nt; t++) {
        fprintf(f, "%lld", (long long)t);
        csv_number(f, tb->time[t]);
        csv_number(f, tb->cap[t]);
        csv_number(f, tb->volt[t]);
        for (int j = 0; j < s->ncol; j++)
            csv_number(f, tb->v[j * s->nt + t]);
        fprintf(f, "\n");
    }
}

/* The figures drawn: nonlinear refined parameters and (with two phases or more) weight
 * fractions, and the voltage when the container has it. */
static int column_drawn(const series *s, tsct_refine_model *m, int j)
{
    const column *k = &s->col[j];
    if (k->kind == COL_VALUE)
        return !tsct_refine_model_param(m, k->index)->linear;
    return k->kind == COL_WF && tsct_refine_model_phase_count(m) > 1;
}

static void figure_path(char *buf, size_t size, const char *prefix, const char *what)
{
    if (snprintf(buf, size, "%s-%s.png", prefix, what) >= (int)size)
        buf[0] = '\0';
}

static tsct_status write_figures(const series *s, tsct_refine_model *m, const table *tb,
                                 const char *prefix, tsct_error *err)
{
    const int64_t nt = s->nt;
    int timed = 1;
    for (int64_t t = 0; t < nt; t++)
        timed = timed && isfinite(tb->time[t]);
    double *x = malloc((size_t)nt * sizeof *x);
    if (!x)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    for (int64_t t = 0; t < nt; t++)
        x[t] = timed ? tb->time[t] / 3600.0 : (double)t;
    tsct_status st = TSCT_OK;
    char path[TSCT_INI_PATH_MAX + 200], title[300], ylabel[200];
    for (int j = 0; st == TSCT_OK && j < s->ncol; j++) {
        if (!column_drawn(s, m, j))
            continue;
        const double *y[1] = {tb->v + (int64_t)j * nt}, *e[1] = {tb->v + (int64_t)(j + 1) * nt};
        tsct_figure_params fp = TSCT_FIGURE_PARAMS_DEFAULT;
        fp.width = 900;
        fp.height = 500;
        snprintf(title, sizeof title, "series %s: %s +- ESD", s->name, s->col[j].name);
        fp.title = title;
        fp.xlabel = timed ? "time (h)" : "time step";
        /* the unit of tsct/refine.h after the parameter's name */
        const char *pn = strrchr(s->col[j].name, '.') + 1;
        const char *unit = strlen(pn) == 1 && strchr("abc", pn[0]) ? " (A)"
                           : !strcmp(pn, "alpha") || !strcmp(pn, "beta") ||
                                     !strcmp(pn, "gamma")              ? " (deg)"
                           : strcmp(pn, "size") == 0                   ? " (nm)"
                           : strcmp(pn, "B") == 0                      ? " (A^2)"
                                                                       : "";
        snprintf(ylabel, sizeof ylabel, "%s%s", s->col[j].name, unit);
        fp.ylabel = ylabel;
        figure_path(path, sizeof path, prefix, s->col[j].name);
        st = tsct_figure_lines(x, nt, y, e, 1, NULL, &fp, path, err);
    }
    if (st == TSCT_OK && tb->have_echem && tb->e.n > 0 && timed) {
        /* The voltage record over the series' time span, on the parameters' time axis. */
        const tsct_echem_stored *e = &tb->e;
        double *vx = malloc((size_t)e->n * sizeof *vx);
        double *vy = malloc((size_t)e->n * sizeof *vy);
        int64_t k = 0;
        const double lo = 3600 * x[0] - 1e-9, hi = 3600 * x[nt - 1] + 1e-9;
        for (int64_t i = 0; vx && vy && i < e->n; i++)
            if (e->time[i] >= lo && e->time[i] <= hi)
                vx[k] = e->time[i] / 3600.0, vy[k++] = e->voltage[i];
        if (!vx || !vy)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
        if (st == TSCT_OK && k > 1) {
            const double *y[1] = {vy};
            tsct_figure_params fp = TSCT_FIGURE_PARAMS_DEFAULT;
            fp.width = 900;
            fp.height = 300;
            snprintf(title, sizeof title, "series %s: voltage", s->name);
            fp.title = title;
            fp.xlabel = "time (h)";
            fp.ylabel = "voltage (V)";
            figure_path(path, sizeof path, prefix, "voltage");
            st = tsct_figure_lines(vx, k, y, NULL, 1, NULL, &fp, path, err);
        }
        free(vx), free(vy);
    }
    free(x);
    return st;
}

/* Every output may be written (an existing one only with --force): checked before the
 * refinement starts. */
static tsct_status check_outputs(const series *s, tsct_refine_model *m, const char *prefix,
                                 int png, tsct_error *err)
{
    char path[TSCT_INI_PATH_MAX + 200];
    if (snprintf(path, sizeof path, "%s-parameters.csv", prefix) >= (int)sizeof path)
        return tsct_error_set(err, TSCT_ERR_VALUE, prefix, NULL, -1, "output name too long");
    TSCT_TRY(tsct_publish_check(path, err));
    for (int j = 0; png && j < s->ncol; j++)
        if (column_drawn(s, m, j)) {
            figure_path(path, sizeof path, prefix, s->col[j].name);
            TSCT_TRY(tsct_publish_check(path, err));
        }
    figure_path(path, sizeof path, prefix, "voltage");
    return png ? tsct_publish_check(path, err) : TSCT_OK;
}

tsct_status tsct_stage_refine_series(const tsct_stage_refine_params *p,
                                     const tsct_stage_ctx *context, tsct_stage_report *report,
                                     tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    if (!p || !p->config)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "config", -1,
                              "no configuration file given");
    if (p->instrument)
        return tsct_error_set(err, TSCT_ERR_VALUE, p->config, "[series]", -1,
                              "--instrument refines one calibrant pattern, not a series");
    char prefix[TSCT_INI_PATH_MAX];
    tsct__refine_prefix(p, "-series", prefix, sizeof prefix);
    tsct__refine_cfg c;
    series s;
    memset(&c, 0, sizeof c);
    memset(&s, 0, sizeof s);
    char *settings = NULL, *fp = NULL;
    int64_t computed = 0;
    table tb;
    memset(&tb, 0, sizeof tb);
    int up_to_date = 0;
    tsct_status st = tsct_ini_read(&c.ini, p->config, err);
    if (st == TSCT_OK)
        st = read_series(&s, &c.ini, err);
    if (st == TSCT_OK && s.source == SRC_FILES) {
        struct stat sb;
        st = stat(s.output, &sb) == 0 ? tsct_container_open(s.output, TSCT_OPEN_WRITE, &s.h, err)
                                      : tsct_container_create(s.output, 0, &s.h, err);
    } else if (st == TSCT_OK) {
        st = tsct_container_open(s.input, TSCT_OPEN_WRITE, &s.h, err);
        if (st == TSCT_OK)
            st = open_source(&s, err);
    }
    if (st == TSCT_OK)
        st = load_step(&s, &c, 0, err);
    if (st == TSCT_OK)
        st = tsct__refine_configure(&c, p, ctx, err);
    if (st == TSCT_OK)
        st = make_columns(&s, c.m, err);
    if (st == TSCT_OK) {
        settings = settings_text(&s, &c.ini);
        fp = settings ? tsct_stage_fingerprint(s.h, NULL, settings) : NULL;
        if (!fp)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, NULL, NULL, -1, "out of memory");
    }
    if (st == TSCT_OK)
        up_to_date = tsct_stage_up_to_date(ctx, s.h, s.step, fp);
    if (st == TSCT_OK && !up_to_date)
        st = check_outputs(&s, c.m, prefix, p->png, err);
    if (st == TSCT_OK && !up_to_date)
        st = run_steps(&s, &c, ctx, p, fp, &computed, err);
    if (st == TSCT_OK && !up_to_date)
        st = read_table(&s, &tb, err);
    if (st == TSCT_OK && !up_to_date) {
        char path[TSCT_INI_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s-parameters.csv", prefix);
        tsct_publish pub;
        FILE *f = NULL;
        csv_arg a = {&s, &tb};
        st = tsct_publish_fopen(&pub, path, &f, err);
        if (st == TSCT_OK) {
            write_csv(f, &a);
            st = tsct_publish_fclose(&pub, f, err);
        }
    }
    if (st == TSCT_OK && !up_to_date && p->png)
        st = write_figures(&s, c.m, &tb, prefix, err);
    if (st == TSCT_OK && !up_to_date)
        tsct__stage_ran(ctx, rep, computed, 0, TSCT_LOG_INFO,
                        "refined %lld of %lld time steps into %.300s::/entry/refine/%s; wrote "
                        "%.300s-parameters.csv",
                        (long long)computed, (long long)s.nt, s.output, s.name, prefix);
    table_release(&tb);
    free(settings), free(fp);
    series_release(&s);
    if (s.h) {
        tsct_status cs = tsct_container_close(s.h, st == TSCT_OK ? err : NULL);
        st = st == TSCT_OK ? cs : st;
    }
    tsct__refine_cfg_release(&c);
    return st;
}
