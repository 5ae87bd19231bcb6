/* stage_score.c - the score stage (see include/tsct/stage.h): phase maps of a simulated
 * experiment against its ground truth.
 *
 * The truth of a phase at a time step is the set of voxels whose fraction of the phase
 * exceeds a level (0.25 of the voxel by default). A map is compared with it in the same unit:
 *
 *   - The map's unit. A whole-pattern weight is the phase's volume fraction times an
 *     instrument constant K (incident flux, voxel volume, the scale of the component
 *     patterns); a window map is a peak area in its own unit. An experiment fixes K with a
 *     standard; the score fits it: K is the least-squares slope through the origin of map
 *     value against true fraction over the phase's interior voxels (the phase present in the
 *     voxel and its four neighbours, so the reconstruction's blur at particle edges does not
 *     bias it), all time steps together. The map divided by K is then a fraction and is
 *     thresholded at the truth's level. (The former rule, a fraction of each map's own 99.5th
 *     percentile, is kept as params->threshold; it sets each phase's level by the phase's own
 *     maximum.)
 *   - Edges. The reconstruction blurs a particle edge over about a voxel and the truth counts
 *     a voxel by its centre, so a particle whose fraction is 0.3 would lose its rim to a plain
 *     threshold at 0.25. A voxel is predicted when the largest fraction within `edge` voxels
 *     exceeds the level and its own value is at least half of it: the edge at half height
 *     (tsct_maps_half_max_mask).
 *   - Voxels at the level. Where many voxels sit near the level (particles caught half way
 *     through a step; every particle, when a simulation moves them through a step together:
 *     reaction.stagger = 0), which side of it a voxel falls is decided by less than the
 *     maps' own uncertainty (0.02-0.03 rms per voxel in particle interiors), and the strict
 *     Dice there measures noise. dice_band leaves out the voxels whose true fraction is
 *     within `band` (0.05) of the level, in both sets: those are neither required nor
 *     forbidden. The summary gives each map's rms fraction error over the interior voxels
 *     to judge the band against. The strict Dice is the criterion (docs/pipeline.md).
 *
 * Coverage (voxel counts) and amount (the fraction summed over the slice) are relative to one
 * time step for map and truth alike (the truth's step 0, or the step of its largest when step
 * 0 has less than half of that: a phase absent at first or just forming); the amount, unlike
 * a count at a level, does not hinge on fractions near the level. tests/test_pipeline.py
 * computes the same numbers independently in Python.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage_internal.h"
#include "tsct/maps.h"

#define SCORE_PHASES_MAX 64

struct score_run {
    const tsct_stage_score_params *o;
    const char *path;
    tsct_container *c;
    tsct_dataset *gt, *md;
    float *truth, *map, *tf;
    uint8_t *pred;
    char names[4096];
    const char *phases[SCORE_PHASES_MAX];
    int nphase;
    int64_t nt, nz, n;
    const char *phase[TSCT_STAGE_SCORE_MAPS_MAX], *mname[TSCT_STAGE_SCORE_MAPS_MAX];
    int64_t nmaps;
    double worst[TSCT_STAGE_SCORE_MAPS_MAX], worst_amount[TSCT_STAGE_SCORE_MAPS_MAX];
    double unit[TSCT_STAGE_SCORE_MAPS_MAX], unit_rms[TSCT_STAGE_SCORE_MAPS_MAX];
};

static tsct_status check_params(const tsct_stage_score_params *o, tsct_error *err)
{
    if (o->n < 0 || o->n > TSCT_STAGE_SCORE_MAPS_MAX || (o->n > 0 && !o->phases))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "score", o->n,
                              "0 to %d maps, each with its phase", TSCT_STAGE_SCORE_MAPS_MAX);
    for (int64_t i = 0; i < o->n; i++)
        if (!o->phases[i] || !o->phases[i][0] || (o->maps && (!o->maps[i] || !o->maps[i][0])))
            return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "score", i,
                                  "a phase and a map name expected");
    if (!(o->truth >= 0 && o->truth < 1) || !(o->band >= 0 && o->band < 1))
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "score", -1,
                              "truth and band expect 0 <= F < 1 (%g, %g)", o->truth, o->band);
    if (o->edge < 0 || o->edge > 16 || !(o->threshold >= 0) || o->slice < 0)
        return tsct_error_set(err, TSCT_ERR_VALUE, NULL, "score", -1,
                              "edge 0 to 16, threshold >= 0, slice >= 0 expected");
    return TSCT_OK;
}

/* The ground truth's phases, its slice of fractions [nt][n][n][nphase] and the maps to score. */
static tsct_status score_open(struct score_run *r, tsct_error *err)
{
    const tsct_stage_score_params *o = r->o;
    const char *gpath = "/ground_truth/phase_fraction";
    TSCT_TRY(tsct_container_open(r->path, TSCT_OPEN_READ, &r->c, err));
    if (!tsct_container_exists(r->c, gpath))
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, r->path, gpath, -1,
                              "no ground truth: only experiments made by tsct simulate can "
                              "be scored");
    TSCT_TRY(tsct_dataset_open(r->c, gpath, &r->gt, err));
    TSCT_TRY(tsct_container_get_attr_string(r->c, gpath, "phases", r->names, sizeof r->names,
                                            err));
    for (char *save = NULL, *p = strtok_r(r->names, ",", &save); p && r->nphase < 64;
         p = strtok_r(NULL, ",", &save))
        r->phases[r->nphase++] = p;
    int64_t gs[8] = {0};
    if (tsct_dataset_shape(r->gt, gs) != 5 || gs[4] != r->nphase)
        return tsct_error_set(err, TSCT_ERR_FORMAT, r->path, gpath, -1,
                              "expected [nt][nz][n][n][%d], the phases attribute's count",
                              r->nphase);
    r->nt = gs[0], r->nz = gs[1], r->n = gs[2];
    if (o->slice >= r->nz)
        return tsct_error_set(err, TSCT_ERR_VALUE, r->path, "slice", o->slice,
                              "the experiment has %lld slice(s)", (long long)r->nz);
    for (int64_t i = 0; i < o->n; i++) {
        r->phase[i] = o->phases[i];
        r->mname[i] = o->maps ? o->maps[i] : o->phases[i];
    }
    r->nmaps = o->n;
    for (int i = 0; o->n == 0 && i < r->nphase && r->nmaps < TSCT_STAGE_SCORE_MAPS_MAX; i++) {
        char mpath[256];
        snprintf(mpath, sizeof mpath, TSCT_PATH_MAPS "/%s", r->phases[i]);
        if (tsct_container_exists(r->c, mpath)) {
            r->phase[r->nmaps] = r->mname[r->nmaps] = r->phases[i];
            r->nmaps++;
        }
    }
    if (r->nmaps == 0)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, r->path, TSCT_PATH_MAPS, -1,
                              "no map is named after a phase of the ground truth (%d phases)",
                              r->nphase);
    const int64_t n = r->n;
    if (!(r->truth = malloc((size_t)(r->nt * n * n * r->nphase) * sizeof *r->truth)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "ground truth", -1, "slice");
    int64_t start[5] = {0, o->slice, 0, 0, 0}, count[5] = {r->nt, 1, n, n, r->nphase};
    return tsct_dataset_read(r->gt, start, count, r->truth, err);
}

/* The map's unit: the least-squares slope through the origin of map value v against true
 * fraction f over the interior voxels of the phase (f > 0 in the voxel and its four
 * neighbours), all time steps; and the rms of v / K - f there. NaN if the phase has no
 * interior voxel. */
static double fit_unit(const float *v, const float *f, int64_t nt, int64_t ny, int64_t nx,
                       double *rms)
{
    double vf = 0, ff = 0;
    for (int pass = 0; pass < 2; pass++) {
        double e2 = 0;
        int64_t count = 0;
        const double K = pass ? vf / ff : 0;
        for (int64_t t = 0; t < nt; t++)
            for (int64_t y = 1; y + 1 < ny; y++)
                for (int64_t x = 1; x + 1 < nx; x++) {
                    const float *g = f + (t * ny + y) * nx + x;
                    if (!(g[0] > 0 && g[-1] > 0 && g[1] > 0 && g[-nx] > 0 && g[nx] > 0))
                        continue;
                    const double u = v[(t * ny + y) * nx + x];
                    if (pass == 0) {
                        vf += u * g[0];
                        ff += (double)g[0] * g[0];
                    } else {
                        e2 += (u / K - g[0]) * (u / K - g[0]);
                        count++;
                    }
                }
        if (pass == 0 && !(ff > 0)) {
            *rms = NAN;
            return NAN;
        }
        if (pass == 1)
            *rms = K != 0 ? sqrt(e2 / (double)count) : NAN; /* a map of zeros: no unit */
    }
    return vf / ff;
}

/* Map i's values r->map [nt][ny][nx] (read): the phase's true fraction on the map's grid
 * (0 outside the truth's) into r->tf, the map in fraction units and its region at every time
 * step into r->pred. */
static void score_region(struct score_run *r, int i, int k, int64_t ny, int64_t nx)
{
    const tsct_stage_score_params *o = r->o;
    const int64_t n = r->n, nt = r->nt, nv = nt * ny * nx;
    const int64_t oy = n / 2 - ny / 2, ox = n / 2 - nx / 2;
    float *map = r->map, *tf = r->tf;
    for (int64_t v = 0; v < nv; v++)
        if (!isfinite(map[v]))
            map[v] = 0.0f;
    for (int64_t t = 0; t < nt; t++)
        for (int64_t y = 0; y < ny; y++)
            for (int64_t x = 0; x < nx; x++) {
                const int64_t gy = y + oy, gx = x + ox;
                tf[(t * ny + y) * nx + x] =
                    gy >= 0 && gy < n && gx >= 0 && gx < n
                        ? r->truth[((t * n + gy) * n + gx) * r->nphase + k]
                        : 0.0f;
            }
    r->unit[i] = r->unit_rms[i] = NAN;
    if (o->threshold > 0) {
        const double thr = o->threshold * tsct_maps_percentile(map, nv, 99.5);
        tsct_maps_threshold(map, nv, thr, r->pred);
        return;
    }
    const double unit = r->unit[i] = fit_unit(map, tf, nt, ny, nx, &r->unit_rms[i]);
    for (int64_t v = 0; v < nv; v++)
        map[v] = isfinite(unit) && unit != 0 ? (float)(map[v] / unit) : 0.0f;
    for (int64_t t = 0; t < nt; t++)
        tsct_maps_half_max_mask(map + t * ny * nx, ny, nx, isfinite(unit) ? o->edge : 0,
                                o->truth, r->pred + t * ny * nx);
    if (!isfinite(unit))
        memset(r->pred, 0, (size_t)nv); /* never present in the truth: no unit */
}

/* Counts of one time step's voxels [npx] of the prediction and the truth. */
struct score_counts {
    int64_t np, ntrue, both, npb, ntb, bothb;
    double amount, tamount;
};

static struct score_counts score_count(const struct score_run *r, int64_t v0, int64_t npx)
{
    const tsct_stage_score_params *o = r->o;
    struct score_counts s = {0};
    for (int64_t v = v0; v < v0 + npx; v++) {
        const int p = r->pred[v], q = r->tf[v] > o->truth;
        const int care = fabs(r->tf[v] - o->truth) > o->band;
        s.np += p;
        s.ntrue += q;
        s.both += p && q;
        s.npb += p && care;
        s.ntb += q && care;
        s.bothb += p && q && care;
        s.amount += r->map[v];
        s.tamount += r->tf[v];
    }
    return s;
}

/* The rows of map i: coverage and amount of map and truth are relative to one time step, the
 * truth's: step 0, or its largest for a phase absent at first (amount: for a phase with less
 * than half its largest amount at step 0). */
static void score_rows(struct score_run *r, int i, int64_t npx)
{
    const tsct_stage_score_params *o = r->o;
    const int64_t nt = r->nt;
    int64_t pred_ref = 0, true_ref = 0, true_max = -1, pred_at_max = 0, amount_best_t = 0;
    double amount_best = 0, amount_first = 0;
    for (int64_t t = 0; t < nt; t++) {
        const struct score_counts s = score_count(r, t * npx, npx);
        if (t == 0) {
            pred_ref = s.np;
            true_ref = s.ntrue;
            amount_first = s.tamount;
        }
        if (s.ntrue > true_max) {
            pred_at_max = s.np;
            true_max = s.ntrue;
        }
        if (s.tamount > amount_best) {
            amount_best = s.tamount;
            amount_best_t = t;
        }
    }
    /* A phase just starting at step 0 (a front that began during the first tomogram) would
     * make a reference of noise: its largest. Coverage likewise: a phase with less than half
     * its largest region at step 0 (absent, or just forming) is counted against its largest,
     * not against a handful of voxels. */
    const int64_t amount_ref = amount_first >= 0.5 * amount_best ? 0 : amount_best_t;
    if (2 * true_ref < true_max) {
        pred_ref = pred_at_max;
        true_ref = true_max;
    }
    double aref = 0, taref = 0; /* the same reference step for map and truth */
    for (int64_t v = amount_ref * npx; v < (amount_ref + 1) * npx; v++) {
        aref += r->map[v];
        taref += r->tf[v];
    }
    for (int64_t t = 0; t < nt; t++) {
        const struct score_counts s = score_count(r, t * npx, npx);
        const double dice = s.np + s.ntrue ? 2.0 * (double)s.both / (double)(s.np + s.ntrue)
                                           : NAN;
        const double dice_band =
            s.npb + s.ntb ? 2.0 * (double)s.bothb / (double)(s.npb + s.ntb) : NAN;
        const double cov = pred_ref ? (double)s.np / (double)pred_ref : NAN;
        const double tcov = true_ref ? (double)s.ntrue / (double)true_ref : NAN;
        if (isfinite(tcov) && !isnan(r->worst[i]) && !(fabs(cov - tcov) <= r->worst[i]))
            r->worst[i] = isfinite(cov) ? fabs(cov - tcov) : NAN;
        const double am = aref != 0 ? s.amount / aref : NAN;
        const double tam = taref > 0 ? s.tamount / taref : NAN;
        if (isfinite(tam) && !isnan(r->worst_amount[i]) &&
            !(fabs(am - tam) <= r->worst_amount[i]))
            r->worst_amount[i] = isfinite(am) ? fabs(am - tam) : NAN; /* NaN: no amount */
        if (o->table)
            fprintf(o->table,
                    "%-8s %-12s %2lld  %.3f  %6lld  %6lld  %.3f  %.3f          %.3f  %6.3f  "
                    "%.3f\n",
                    r->phase[i], r->mname[i], (long long)t, dice, (long long)s.np,
                    (long long)s.ntrue, cov, tcov, dice_band, am, tam);
        if (o->csv)
            fprintf(o->csv, "%s,%s,%lld,%.6f,%lld,%lld,%.6f,%.6f,%.6f,%.6f,%.6f\n",
                    r->phase[i], r->mname[i], (long long)t, dice, (long long)s.np,
                    (long long)s.ntrue, cov, tcov, dice_band, am, tam);
    }
}

/* Read map i, compute its region and write its rows. */
static tsct_status score_map(struct score_run *r, int i, tsct_error *err)
{
    const int64_t nt = r->nt, n = r->n;
    int k = -1;
    for (int j = 0; j < r->nphase; j++)
        if (strcmp(r->phases[j], r->phase[i]) == 0)
            k = j;
    if (k < 0)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, r->path, r->phase[i], -1,
                              "not a phase of the ground truth");
    char mpath[256];
    snprintf(mpath, sizeof mpath, TSCT_PATH_MAPS "/%s", r->mname[i]);
    tsct_dataset_close(r->md);
    r->md = NULL;
    TSCT_TRY(tsct_dataset_open(r->c, mpath, &r->md, err));
    int64_t ms[8] = {0};
    if (tsct_dataset_shape(r->md, ms) != 4 || ms[0] != nt || ms[2] > n || ms[3] > n)
        return tsct_error_set(err, TSCT_ERR_SHAPE, r->path, mpath, -1,
                              "expected [%lld][nz][<=%lld][<=%lld]", (long long)nt,
                              (long long)n, (long long)n);
    const int64_t ny = ms[2], nx = ms[3], nv = nt * ny * nx;
    free(r->map);
    free(r->tf);
    free(r->pred);
    r->tf = NULL;
    r->pred = NULL;
    if (!(r->map = malloc((size_t)nv * sizeof *r->map)) ||
        !(r->tf = malloc((size_t)nv * sizeof *r->tf)) || !(r->pred = malloc((size_t)nv)))
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, mpath, -1, "map");
    int64_t start[4] = {0, r->o->slice, 0, 0}, count[4] = {nt, 1, ny, nx};
    TSCT_TRY(tsct_dataset_read(r->md, start, count, r->map, err));
    score_region(r, i, k, ny, nx);
    score_rows(r, i, ny * nx);
    return TSCT_OK;
}

static void score_summary(const struct score_run *r, FILE *f)
{
    const tsct_stage_score_params *o = r->o;
    const int64_t n = r->nmaps;
    fprintf(f, "# largest coverage error over time (fraction of the reference coverage):\n#");
    for (int64_t i = 0; i < n; i++)
        fprintf(f, " %s %.3f%s", r->mname[i], r->worst[i], i + 1 < n ? "," : "\n");
    fprintf(f, "# largest amount error over time (fraction of the reference amount):\n#");
    for (int64_t i = 0; i < n; i++)
        fprintf(f, " %s %.3f%s", r->mname[i], r->worst_amount[i], i + 1 < n ? "," : "\n");
    if (o->threshold > 0) {
        fprintf(f, "# regions: each map above %g x its 99.5th percentile; truth: fraction > %g\n",
                o->threshold, o->truth);
        return;
    }
    fprintf(f, "# regions: fraction (map / unit) > %g, edges at half height within %lld "
               "voxel(s); dice_band without true fractions within %g of %g\n",
            o->truth, (long long)o->edge, o->band, o->truth);
    fprintf(f, "# map unit (value per unit fraction) and rms fraction error over the phase's "
               "interior voxels:\n#");
    for (int64_t i = 0; i < n; i++)
        fprintf(f, " %s %.4g (rms %.3f)%s", r->mname[i], r->unit[i], r->unit_rms[i],
                i + 1 < n ? "," : "\n");
}

tsct_status tsct_stage_score(const char *container, const tsct_stage_score_params *params,
                             const tsct_stage_ctx *context, tsct_stage_report *report,
                             tsct_error *err)
{
    const tsct_stage_ctx *ctx = tsct__stage_ctx(context);
    const tsct_stage_score_params defaults = TSCT_STAGE_SCORE_PARAMS_DEFAULT;
    const tsct_stage_score_params *o = params ? params : &defaults;
    tsct_stage_report rep_local, *rep = tsct__stage_report(report, &rep_local);
    TSCT_TRY(check_params(o, err));
    struct score_run *r = calloc(1, sizeof *r);
    if (!r)
        return tsct_error_set(err, TSCT_ERR_NOMEM, NULL, "score", -1, "state");
    r->o = o;
    r->path = container;
    tsct_status st = score_open(r, err);
    if (st == TSCT_OK) {
        if (o->table)
            fprintf(o->table, "# phase    map           t  dice   predicted  true  coverage  "
                              "true_coverage  dice_band  amount  true_amount\n");
        if (o->csv)
            fprintf(o->csv, "phase,map,t,dice,predicted,true,coverage,true_coverage,dice_band,"
                            "amount,true_amount\n");
    }
    for (int i = 0; st == TSCT_OK && i < r->nmaps; i++)
        st = score_map(r, i, err);
    if (st == TSCT_OK && o->table)
        score_summary(r, o->table);
    if (st == TSCT_OK)
        tsct__stage_ran(ctx, rep, r->nmaps, 0, TSCT_LOG_DEBUG,
                        "score of %lld map(s) against /ground_truth, slice %lld",
                        (long long)r->nmaps, (long long)o->slice);
    free(r->truth);
    free(r->map);
    free(r->tf);
    free(r->pred);
    tsct_dataset_close(r->md);
    tsct_dataset_close(r->gt);
    tsct_container_close(r->c, NULL);
    free(r);
    return st;
}
