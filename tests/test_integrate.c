/* test_integrate.c - azimuthal integration: robust filters against brute-force references,
 * the trimmed mean on a frame with single-crystal spots, identities of the plan, thread and
 * batch invariance, and bad parameters. (Agreement with pyFAI: test_integrate_pyfai.c.)
 *
 * Tolerances, and why:
 *  - brute force vs execute: 2e-6 relative. Both sum the same float32 terms in double but in a
 *    different order (the brute force bins pixels itself, by the formula of the header);
 *  - thread counts and execute_many vs execute: 1e-6 relative (partial sums added in another
 *    order), the robust filters exactly (one bin is one task);
 *  - flat frame: 1e-6 relative (the mean of a constant is the constant);
 *  - spots: see test_spots().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "integrate_test_util.h"
#include "tsct/integrate.h"
#include "tsct_test.h"

static tsct_poni test_geometry(void)
{
    tsct_poni g;
    tsct_poni_init(&g);
    g.dist = 0.1;
    g.poni1 = 0.011;
    g.poni2 = 0.013;
    g.rot1 = 0.05;
    g.rot2 = -0.03;
    g.rot3 = 0.3;
    g.wavelength = 1e-10;
    g.pixel1 = g.pixel2 = 100e-6;
    return g;
}

static double rel(double a, double b)
{
    return fabs(a - b) / fmax(fabs(b), 1e-30);
}

/* Run a plan on one frame; returns the plan (caller destroys) or NULL. */
static tsct_integrate_plan *integrate(const tsct_integrate_params *p, const tsct_poni *g,
                                      int64_t rows, int64_t cols, const uint8_t *mask,
                                      const float *dark, const float *flat, const float *frame,
                                      double monitor, float *inten, float *sig)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_integrate_plan *plan = NULL;
    CHECK_OK(tsct_integrate_plan_create(p, g, rows, cols, mask, dark, flat, &plan, &err), &err);
    if (!plan)
        return NULL;
    size_t ws = tsct_integrate_workspace_size(plan);
    void *work = malloc(ws);
    CHECK_OK(tsct_integrate_execute(plan, frame, monitor, inten, sig, work, ws, &err), &err);
    free(work);
    return plan;
}

/* ---- brute-force references -------------------------------------------------------------- */

typedef struct px {
    double x, s, v, n;
} px;

static int cmp_px(const void *a, const void *b)
{
    double u = ((const px *)a)->x, v = ((const px *)b)->x;
    return u < v ? -1 : u > v;
}

/* Pixels of each bin by the definition (no splitting, q in 1/nm, explicit range). */
static void brute_force(const tsct_poni *g, int64_t rows, int64_t cols, const float *frame,
                        const float *dark, const float *flat, const uint8_t *mask, double monitor,
                        int64_t npt, double rmin, double rmax, int filter, double a, double b,
                        int iters, float *inten, float *sig)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_geometry_arrays *ga = NULL;
    CHECK_OK(tsct_geometry_compute(g, rows, cols, TSCT_UNIT_Q_NM,
                                   TSCT_GEOM_RADIAL | TSCT_GEOM_SOLID_ANGLE | TSCT_GEOM_PYFAI_F32,
                                   1, &ga, &err),
             &err);
    if (!ga)
        return;
    double delta = (rmax * (1.0 + 1.1920928955078125e-07) - rmin) / (double)npt;
    px *list = malloc((size_t)(rows * cols) * sizeof *list);
    int64_t *bin = malloc((size_t)(rows * cols) * sizeof *bin);
    for (int64_t k = 0; k < rows * cols; k++) {
        double f = (ga->radial[k] - rmin) / delta;
        bin[k] = f > -1 && f < (double)npt ? (int64_t)f : -1;
    }
    for (int64_t q = 0; q < npt; q++) {
        int64_t m = 0;
        for (int64_t k = 0; k < rows * cols; k++) {
            if (bin[k] != q || (mask && mask[k]) || isnan(frame[k]))
                continue;
            double x = frame[k];
            px e = {0, x - (dark ? dark[k] : 0), fmax(x, 1.0),
                    monitor * (flat ? flat[k] : 1.0) * ga->solid_angle[k]};
            e.x = e.s / e.n;
            list[m++] = e;
        }
        double S = 0, V = 0, N = 0;
        if (filter == TSCT_INTEGRATE_TRIMMED) {
            qsort(list, (size_t)m, sizeof *list, cmp_px);
            double tot = 0, cum = 0;
            for (int64_t i = 0; i < m; i++)
                tot += list[i].n;
            for (int64_t i = 0; i < m; i++) {
                double before = cum;
                cum += list[i].n;
                if ((a * tot <= before && cum <= b * tot) || (a * tot >= before && cum >= b * tot)) {
                    S += list[i].s;
                    V += list[i].v;
                    N += list[i].n;
                }
            }
        } else {
            /* sigma clipping, pyFAI 0.21 */
            char *keep = malloc((size_t)m + 1);
            memset(keep, 1, (size_t)m + 1);
            double C = (double)m;
            for (int64_t i = 0; i < m; i++) {
                S += list[i].s;
                V += list[i].v;
                N += list[i].n;
            }
            for (int c = 0; c < iters && N > 0 && C > 0; c++) {
                double aver = S / N, std = sqrt(V / N);
                double cut = fmax(a, sqrt(2 * log(fmax(C, 3.0) / sqrt(2 * M_PI)))) * std;
                S = V = N = C = 0;
                for (int64_t i = 0; i < m; i++) {
                    if (keep[i] && fabs(list[i].x - aver) > cut)
                        keep[i] = 0;
                    if (keep[i]) {
                        S += list[i].s;
                        V += list[i].v;
                        N += list[i].n;
                        C++;
                    }
                }
            }
            free(keep);
        }
        inten[q] = N > 0 ? (float)(S / N) : 0.0f;
        sig[q] = N > 0 ? (float)(sqrt(V) / N) : 0.0f;
    }
    free(list);
    free(bin);
    tsct_geometry_arrays_destroy(ga);
}

static void test_filters_brute_force(void)
{
    const int64_t rows = 90, cols = 110, n = rows * cols, npt = 40;
    tsct_poni g = test_geometry();
    float *frame = malloc((size_t)n * sizeof *frame), *dark = malloc((size_t)n * sizeof *dark);
    float *flat = malloc((size_t)n * sizeof *flat);
    uint8_t *mask = malloc((size_t)n);
    synthetic_frame(rows, cols, 1, frame, dark, flat, mask);
    float inten[40], sig[40], bi[40], bs[40];
    struct {
        int filter;
        double a, b;
        int iters;
    } cases[] = {
        {TSCT_INTEGRATE_TRIMMED, 0.1, 0.9, 0},  {TSCT_INTEGRATE_TRIMMED, 0.5, 0.5, 0},
        {TSCT_INTEGRATE_TRIMMED, 0.0, 1.0, 0},  {TSCT_INTEGRATE_TRIMMED, 0.25, 0.6, 0},
        {TSCT_INTEGRATE_SIGMA_CLIP, 3.0, 0, 5}, {TSCT_INTEGRATE_SIGMA_CLIP, 0.0, 0, 2},
        {TSCT_INTEGRATE_SIGMA_CLIP, 5.0, 0, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int nt = 1; nt <= 2; nt++) {
            tsct_integrate_params p = TSCT_INTEGRATE_PARAMS_DEFAULT;
            p.npt = npt;
            p.unit = TSCT_UNIT_Q_NM;
            p.radial_min = 1.0;
            p.radial_max = 9.0;
            p.filter = cases[c].filter;
            p.trim_lo = cases[c].a;
            p.trim_hi = cases[c].b;
            p.clip_thres = cases[c].a;
            p.clip_iterations = cases[c].iters;
            p.nthreads = nt;
            tsct_integrate_plan *plan =
                integrate(&p, &g, rows, cols, mask, dark, flat, frame, 1.7, inten, sig);
            tsct_integrate_plan_destroy(plan);
            brute_force(&g, rows, cols, frame, dark, flat, mask, 1.7, npt, 1.0, 9.0,
                        cases[c].filter, cases[c].a, cases[c].b, cases[c].iters, bi, bs);
            int nonempty = 0;
            for (int64_t q = 0; q < npt; q++) {
                nonempty += bi[q] != 0;
                CHECK_MSG(rel(inten[q], bi[q]) <= 2e-6 && rel(sig[q], bs[q]) <= 2e-6,
                          "filter %d (%g, %g) bin %lld: %.9g +- %.9g, brute force %.9g +- %.9g",
                          cases[c].filter, cases[c].a, cases[c].b, (long long)q, inten[q],
                          sig[q], bi[q], bs[q]);
            }
            CHECK_MSG(nonempty > npt / 3, "filter %d: %d non-empty bins", cases[c].filter,
                      nonempty);
        }
    }
    free(frame);
    free(dark);
    free(flat);
    free(mask);
}

/* ---- single-crystal spots -------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

/* Poisson counts of mean lam (lam > 100): the normal approximation, rounded. */
static float poisson(double lam)
{
    double z = sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
    return (float)floor(lam + sqrt(lam) * z + 0.5);
}

/* A powder pattern with Poisson noise plus 150 bright 3x3 single-crystal spots. The 10 %
 * trimmed mean must recover the spot-free expected pattern: in every bin within 5 standard
 * errors (sigma of the bin from the Poisson model, times 1.2 for the trimmed mean's larger
 * variance) plus the small bias of trimming a skewed Poisson distribution (< 0.1 count), and
 * on average (chi^2 per bin) below 2. The plain mean must be off by more than 20 standard
 * errors somewhere, since a spot adds ~9 * 5e4 counts to a bin of ~1000 pixels. */
static void test_spots(void)
{
    const int64_t rows = 400, cols = 400, n = rows * cols, npt = 120;
    tsct_poni g = test_geometry();
    g.poni1 = g.poni2 = 0.02;
    g.rot1 = g.rot2 = g.rot3 = 0;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_geometry_arrays *ga = NULL;
    CHECK_OK(tsct_geometry_compute(&g, rows, cols, TSCT_UNIT_Q_NM, TSCT_GEOM_RADIAL, 1, &ga, &err),
             &err);
    if (!ga)
        return;
    float *lam = malloc((size_t)n * sizeof *lam), *frame = malloc((size_t)n * sizeof *frame);
    for (int64_t k = 0; k < n; k++) {
        double q = ga->radial[k];
        double v = 1000 + 3000 * exp(-0.5 * pow((q - 15) / 0.6, 2)) +
                   1500 * exp(-0.5 * pow((q - 22) / 0.8, 2));
        lam[k] = (float)v;
        frame[k] = poisson(v);
    }
    for (int s = 0; s < 150; s++) {
        int64_t i = 1 + (int64_t)(uniform() * (double)(rows - 3));
        int64_t j = 1 + (int64_t)(uniform() * (double)(cols - 3));
        for (int64_t di = -1; di <= 1; di++)
            for (int64_t dj = -1; dj <= 1; dj++)
                frame[(i + di) * cols + j + dj] += 50000.0f;
    }
    tsct_integrate_params p = TSCT_INTEGRATE_PARAMS_DEFAULT;
    p.npt = npt;
    p.unit = TSCT_UNIT_Q_NM;
    p.solid_angle = 0;
    float truth[120], ts[120], mean[120], ms[120], trim[120], trs[120];
    tsct_integrate_plan_destroy(integrate(&p, &g, rows, cols, NULL, NULL, NULL, lam, 1, truth, ts));
    tsct_integrate_plan_destroy(integrate(&p, &g, rows, cols, NULL, NULL, NULL, frame, 1, mean, ms));
    CHECK_OK(tsct_integrate_filter_parse("trimmed:10,90", &p, &err), &err);
    tsct_integrate_plan *plan = integrate(&p, &g, rows, cols, NULL, NULL, NULL, frame, 1, trim, trs);
    double worst_trim = 0, worst_mean = 0, chi2 = 0;
    int used = 0;
    const double *rad = tsct_integrate_plan_radial(plan);
    for (int64_t q = 0; q < npt; q++) {
        if (ms[q] == 0 || ts[q] == 0)
            continue;
        double se = ms[q]; /* Poisson sigma of the mean of the bin */
        double zt = (trim[q] - truth[q]) / (1.2 * se);
        double zm = (mean[q] - truth[q]) / se;
        CHECK_MSG(fabs(trim[q] - truth[q]) <= 5 * 1.2 * se + 0.1,
                  "trimmed mean at q = %.3f: %.3f, expected %.3f (se %.3f)", rad[q], trim[q],
                  truth[q], se);
        worst_trim = fmax(worst_trim, fabs(zt));
        worst_mean = fmax(worst_mean, fabs(zm));
        chi2 += zt * zt;
        used++;
    }
    CHECK_MSG(used > npt / 2, "only %d bins compared", used);
    CHECK_MSG(chi2 / used < 2.0, "trimmed mean: chi^2 per bin %.2f", chi2 / used);
    CHECK_MSG(worst_mean > 20, "plain mean unexpectedly close: worst %.1f standard errors",
              worst_mean);
    printf("spots: trimmed mean within %.2f se (chi2/bin %.2f), plain mean off by %.0f se\n",
           worst_trim, chi2 / used, worst_mean);
    tsct_integrate_plan_destroy(plan);
    tsct_geometry_arrays_destroy(ga);
    free(lam);
    free(frame);
}

/* ---- identities, threads, batches, errors ---------------------------------------------- */

static void test_identities(void)
{
    const int64_t rows = 120, cols = 150, n = rows * cols, npt = 64;
    tsct_poni g = test_geometry();
    tsct_error err = TSCT_ERROR_INIT;
    float *frame = malloc((size_t)n * 3 * sizeof *frame);
    uint8_t *mask = malloc((size_t)n);
    synthetic_frame(rows, cols, 0, frame, NULL, NULL, mask);
    for (int64_t k = 0; k < n; k++) {
        frame[n + k] = 321.0f;              /* constant frame */
        frame[2 * n + k] = frame[k] * 2.0f; /* scaled frame */
    }
    for (int split = 0; split <= 2; split++) {
        for (int filter = 0; filter <= 2; filter++) {
            if (filter == TSCT_INTEGRATE_SIGMA_CLIP && split != 0)
                continue;
            float out[3][2][64], sg[3][2][64], many[3 * 64], manys[3 * 64];
            tsct_integrate_plan *plans[2] = {NULL, NULL};
            for (int nt = 1; nt <= 2; nt++) {
                tsct_integrate_params p = TSCT_INTEGRATE_PARAMS_DEFAULT;
                p.npt = npt;
                p.split = (tsct_integrate_split)split;
                p.filter = (tsct_integrate_filter)filter;
                p.polarization = 0.9;
                p.nthreads = nt;
                CHECK_OK(tsct_integrate_plan_create(&p, &g, rows, cols, mask, NULL, NULL,
                                                    &plans[nt - 1], &err),
                         &err);
                if (!plans[nt - 1])
                    return;
                size_t ws = tsct_integrate_workspace_size(plans[nt - 1]);
                void *work = malloc(ws);
                for (int f = 0; f < 3; f++)
                    CHECK_OK(tsct_integrate_execute(plans[nt - 1], frame + f * n, 1.0,
                                                    out[f][nt - 1], sg[f][nt - 1], work, ws, &err),
                             &err);
                double mon[3] = {1, 1, 1};
                CHECK_OK(tsct_integrate_execute_many(plans[nt - 1], 3, frame, mon, many, manys,
                                                     work, ws, &err),
                         &err);
                for (int f = 0; f < 3; f++)
                    for (int64_t q = 0; q < npt; q++)
                        CHECK_MSG(rel(many[f * npt + q], out[f][nt - 1][q]) <= 1e-6 &&
                                      rel(manys[f * npt + q], sg[f][nt - 1][q]) <= 1e-6,
                                  "split %d filter %d: execute_many frame %d bin %lld", split,
                                  filter, f, (long long)q);
                CHECK_FAILS(tsct_integrate_execute(plans[nt - 1], frame, 1.0, many, NULL, work,
                                                   ws - 1, &err),
                            TSCT_ERR_VALUE, &err, "workspace");
                CHECK_FAILS(tsct_integrate_execute(plans[nt - 1], frame, 0.0, many, NULL, work,
                                                   ws, &err),
                            TSCT_ERR_VALUE, &err, "monitor");
                free(work);
            }
            /* per-pixel normalisation: a monitor divides the result */
            size_t ws = tsct_integrate_workspace_size(plans[0]);
            void *work = malloc(ws);
            float half[64];
            CHECK_OK(tsct_integrate_execute(plans[0], frame, 2.0, half, NULL, work, ws, &err), &err);
            free(work);
            int nonempty = 0;
            for (int64_t q = 0; q < npt; q++) {
                CHECK_MSG(rel(out[0][1][q], out[0][0][q]) <= 1e-6,
                          "split %d filter %d bin %lld: 2 threads %.9g, 1 thread %.9g", split,
                          filter, (long long)q, out[0][1][q], out[0][0][q]);
                if (out[1][0][q] == 0)
                    continue;
                nonempty++;
                /* The scaled frame scales the result by 2 and a monitor of 2 halves it; not for
                 * sigma clipping, whose Poisson std = sqrt(V / N) does not scale linearly, so
                 * that other pixels are clipped. */
                if (filter == TSCT_INTEGRATE_SIGMA_CLIP)
                    continue;
                CHECK_MSG(rel(out[2][0][q], 2 * out[0][0][q]) <= 1e-6,
                          "split %d filter %d bin %lld: linearity", split, filter, (long long)q);
                CHECK_MSG(rel(half[q], 0.5 * out[0][0][q]) <= 1e-6,
                          "split %d filter %d bin %lld: monitor", split, filter, (long long)q);
            }
            CHECK(nonempty > npt / 2);
            tsct_integrate_plan_destroy(plans[0]);
            tsct_integrate_plan_destroy(plans[1]);
        }
    }
    /* Flat field: a frame equal to the normalisation integrates to 1 exactly, for every split,
     * and the weights of each pixel sum to 1 (a uniform frame sees no splitting). */
    for (int split = 0; split <= 2; split++) {
        tsct_integrate_params p = TSCT_INTEGRATE_PARAMS_DEFAULT;
        p.npt = npt;
        p.split = (tsct_integrate_split)split;
        p.solid_angle = 0;
        float out[64], sg[64];
        for (int64_t k = 0; k < n; k++)
            frame[k] = 250.0f;
        tsct_integrate_plan *plan = integrate(&p, &g, rows, cols, NULL, NULL, NULL, frame, 1, out, sg);
        for (int64_t q = 0; q < npt; q++)
            if (out[q] != 0)
                CHECK_MSG(rel(out[q], 250.0) <= 1e-6, "split %d bin %lld: %.9g for a flat 250",
                          split, (long long)q, out[q]);
        CHECK(tsct_integrate_plan_nnz(plan) >= (split ? n : n - 1));
        tsct_integrate_plan_destroy(plan);
    }
    free(frame);
    free(mask);
}

static void test_errors(void)
{
    tsct_poni g = test_geometry();
    tsct_error err = TSCT_ERROR_INIT;
    tsct_integrate_plan *plan = NULL;
    tsct_integrate_params p = TSCT_INTEGRATE_PARAMS_DEFAULT;
    p.npt = 0;
    CHECK_FAILS(tsct_integrate_plan_create(&p, &g, 10, 10, NULL, NULL, NULL, &plan, &err),
                TSCT_ERR_VALUE, &err, "npt");
    p.npt = 10;
    p.radial_min = 5;
    CHECK_FAILS(tsct_integrate_plan_create(&p, &g, 10, 10, NULL, NULL, NULL, &plan, &err),
                TSCT_ERR_VALUE, &err, "radial_range");
    p.radial_min = 1000;
    p.radial_max = 2000;
    CHECK_FAILS(tsct_integrate_plan_create(&p, &g, 10, 10, NULL, NULL, NULL, &plan, &err),
                TSCT_ERR_VALUE, &err, "no unmasked pixel");
    p.radial_min = p.radial_max = NAN;
    p.azimuth_min = 10;
    p.azimuth_max = 5;
    CHECK_FAILS(tsct_integrate_plan_create(&p, &g, 10, 10, NULL, NULL, NULL, &plan, &err),
                TSCT_ERR_VALUE, &err, "azimuth_range");
    p.azimuth_min = p.azimuth_max = NAN;
    p.polarization = 2;
    CHECK_FAILS(tsct_integrate_plan_create(&p, &g, 10, 10, NULL, NULL, NULL, &plan, &err),
                TSCT_ERR_VALUE, &err, "polarization");
    p.polarization = NAN;
    CHECK_FAILS(tsct_integrate_plan_create(&p, &g, 0, 10, NULL, NULL, NULL, &plan, &err),
                TSCT_ERR_SHAPE, &err, "shape");
    g.wavelength = 0;
    CHECK_FAILS(tsct_integrate_plan_create(&p, &g, 10, 10, NULL, NULL, NULL, &plan, &err),
                TSCT_ERR_VALUE, &err, "wavelength");
    CHECK(plan == NULL);
    uint8_t mask[100];
    memset(mask, 1, sizeof mask);
    g = test_geometry();
    CHECK_FAILS(tsct_integrate_plan_create(&p, &g, 10, 10, mask, NULL, NULL, &plan, &err),
                TSCT_ERR_VALUE, &err, "no unmasked pixel");
    tsct_integrate_plan_destroy(NULL);
    /* filter and method names */
    const char *bad[] = {"trimmed:90,10", "trimmed:10", "sigma:", "sigma:-1", "median:1",
                         "trimmed:10,200", "bogus", "sigma:3,2.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_FAILS(tsct_integrate_filter_parse(bad[i], &p, &err), TSCT_ERR_VALUE, &err, bad[i]);
    CHECK_OK(tsct_integrate_filter_parse("trimmed:10,90", &p, &err), &err);
    CHECK(p.filter == TSCT_INTEGRATE_TRIMMED && p.trim_lo == 0.1 && p.trim_hi == 0.9);
    CHECK_OK(tsct_integrate_filter_parse("sigma:3,7", &p, &err), &err);
    CHECK(p.filter == TSCT_INTEGRATE_SIGMA_CLIP && p.clip_thres == 3 && p.clip_iterations == 7);
    CHECK_OK(tsct_integrate_filter_parse("median", &p, &err), &err);
    CHECK(p.trim_lo == 0.5 && p.trim_hi == 0.5);
    tsct_integrate_split s;
    CHECK_OK(tsct_integrate_split_parse("full", &s, &err), &err);
    CHECK(s == TSCT_INTEGRATE_SPLIT_FULL && strcmp(tsct_integrate_split_name(s), "full") == 0);
    CHECK_FAILS(tsct_integrate_split_parse("pseudo", &s, &err), TSCT_ERR_VALUE, &err, "pseudo");
}

int main(void)
{
    test_filters_brute_force();
    test_spots();
    test_identities();
    test_errors();
    return tsct_test_finish("test_integrate");
}
