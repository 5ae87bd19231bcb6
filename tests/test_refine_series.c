/* test_refine_series.c - the sequential refinement of a series (tsct_stage_refine_series,
 * reached through tsct_stage_refine_pattern by a [series] section): twelve noisy CeO2 + Si
 * patterns whose CeO2 cell grows step by step (written as .xy files with sigma) give
 * /entry/refine/NAME/PHASE/a [nt][1][1][1] within their ESDs of the truth (the pulls' rms
 * between 0.5 and 1.6 over 24 values; each within 4.5 ESD), weight fractions within 4 ESD,
 * status 0, the CSV table and the figures; an interrupted series (a step's file unreadable)
 * resumes after its last finished step and ends with the same values as an uninterrupted one
 * (within 0.01 ESD); a region series of a container ([nt][nq]) refines the same; bad
 * input (an unknown [series] key, files that match nothing, a pattern off the first grid, an
 * existing output without --force) fails with a named error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "tsct/container.h"
#include "tsct/publish.h"
#include "tsct/refine.h"
#include "tsct/stage.h"
#include "tsct_test.h"

#define CIFDIR TSCT_TEST_DATA "/cif"
#define TMP TSCT_TEST_TMP
#define NT 12
#define NQ 1200

static uint64_t rng = 12345;

static double uniform(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((rng >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
    return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static double truth_a(int t)
{
    return 5.4080 + 0.0008 * t; /* CeO2, A */
}

#define TRUTH_SI 5.43102

static double truth_wf[NT]; /* CeO2's weight fraction */

/* The patterns [NT][NQ] on q (1/A) with their sigma: counts of a CeO2 + Si mixture. */
static void make_patterns(double *q, double *y, double *s)
{
    tsct_error err = TSCT_ERROR_INIT;
    for (int64_t i = 0; i < NQ; i++)
        q[i] = 1.5 + 4.5 * (double)i / (NQ - 1);
    tsct_refine_phase_desc ph[2] = {{"CeO2", CIFDIR "/CeO2_COD9009008.cif", {0, 0, 0}},
                                    {"Si", CIFDIR "/Si_COD9008566.cif", {0, 0, 0}}};
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = 0.2;
    mp.nbackground = 2;
    tsct_refine_model *m = NULL;
    CHECK_OK(tsct_refine_model_create(&mp, ph, 2, NULL, 0, NULL, 0, q, NQ, &m, &err), &err);
    if (!m)
        exit(1);
    tsct_refine_model_set(m, "CeO2.scale", 0.3, 1, &err);
    tsct_refine_model_set(m, "Si.scale", 0.8, 1, &err);
    tsct_refine_model_set(m, "Si.a", TRUTH_SI, 0, &err);
    tsct_refine_model_set(m, "bg.0", 200, 1, &err);
    tsct_refine_model_set(m, "bg.1", -20, 1, &err);
    tsct_refine_model_set(m, "instrument.W", 4e-4, 0, &err);
    double k = 0;
    for (int t = 0; t < NT; t++) {
        CHECK_OK(tsct_refine_model_set(m, "CeO2.a", truth_a(t), 0, &err), &err);
        CHECK_OK(tsct_refine_model_evaluate(m, y + (int64_t)t * NQ, NULL, &err), &err);
        double w0 = 0.3 * tsct_refine_model_phase_mass(m, 0) * tsct_refine_model_phase_volume(m, 0);
        double w1 = 0.8 * tsct_refine_model_phase_mass(m, 1) * tsct_refine_model_phase_volume(m, 1);
        truth_wf[t] = w0 / (w0 + w1);
        for (int64_t i = 0; t == 0 && i < NQ; i++)
            k = fmax(k, y[i]);
        k = t == 0 ? 2e4 / k : k; /* the strongest peak of the first step at 20 000 counts */
        for (int64_t i = 0; i < NQ; i++) {
            double mu = k * y[(int64_t)t * NQ + i] + 100; /* a flat 100 counts more */
            s[(int64_t)t * NQ + i] = sqrt(mu);
            y[(int64_t)t * NQ + i] = mu + sqrt(mu) * gauss();
        }
    }
    tsct_refine_model_destroy(m);
}

static void write_xy(const char *path, const double *q, const double *y, const double *s)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f, "# q_A^-1 I sigma\n");
    for (int64_t i = 0; i < NQ; i++)
        fprintf(f, "%.8f %.6f %.6f\n", q[i], y[i], s[i]);
    fclose(f);
}

static void write_cfg(const char *path, const char *series)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f, "[data]\nwavelength = 0.2\nrange = 1.6 5.9\n%s"
               "[background]\nterms = 2\n"
               "[instrument]\nW = 4e-4\n"
               "[phase.CeO2]\ncif = %s/CeO2_COD9009008.cif\na = 5.405\nrefine = scale a\n"
               "[phase.Si]\ncif = %s/Si_COD9008566.cif\na = 5.432\nrefine = scale a\n"
               "[series]\n%s",
            strstr(series, "source = region") ? "container = region.h5\nregion = R\n" : "",
            CIFDIR, CIFDIR, series);
    fclose(f);
}

/* The [nt] values of /entry/refine/NAME/REL. */
static void read_series(const char *h5, const char *name, const char *rel, double *v)
{
    char path[256];
    snprintf(path, sizeof path, "/entry/refine/%s/%s", name, rel);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    float buf[NT];
    for (int t = 0; t < NT; t++)
        v[t] = NAN;
    CHECK_OK(tsct_container_open(h5, TSCT_OPEN_READ, &c, &err), &err);
    if (c)
        CHECK_OK(tsct_dataset_open(c, path, &d, &err), &err);
    if (d) {
        int64_t shape[8];
        CHECK(tsct_dataset_shape(d, shape) == 4 && shape[0] == NT && shape[1] == 1 &&
              shape[2] == 1 && shape[3] == 1);
        int64_t start[4] = {0, 0, 0, 0}, count[4] = {NT, 1, 1, 1};
        CHECK_OK(tsct_dataset_read(d, start, count, buf, &err), &err);
        for (int t = 0; t < NT; t++)
            v[t] = buf[t];
    }
    tsct_dataset_close(d);
    tsct_container_close(c, NULL);
}

static tsct_status run(const char *cfg, const char *out, tsct_stage_report *rep,
                       tsct_error *err)
{
    tsct_stage_refine_params p = TSCT_STAGE_REFINE_PARAMS_DEFAULT;
    p.config = cfg;
    p.output = out;
    return tsct_stage_refine_pattern(&p, NULL, rep, err);
}

/* The refined a of both phases against the truth: every value within 4.5 ESD, the pulls' rms
 * between 0.5 and 1.6. */
static void check_truth(const char *h5, const char *name)
{
    double a[NT], ae[NT], si[NT], sie[NT], st[NT], wf[NT], wfe[NT];
    read_series(h5, name, "CeO2/a", a);
    read_series(h5, name, "CeO2/a_esd", ae);
    read_series(h5, name, "Si/a", si);
    read_series(h5, name, "Si/a_esd", sie);
    read_series(h5, name, "status", st);
    read_series(h5, name, "CeO2/weight_fraction", wf);
    read_series(h5, name, "CeO2/weight_fraction_esd", wfe);
    double ss = 0, worst = 0, wmean = 0;
    for (int t = 0; t < NT; t++) {
        double p1 = (a[t] - truth_a(t)) / ae[t], p2 = (si[t] - TRUTH_SI) / sie[t];
        ss += p1 * p1 + p2 * p2;
        worst = fmax(worst, fmax(fabs(p1), fabs(p2)));
        CHECK_MSG(st[t] == 0, "%s step %d status %g", name, t, st[t]);
        CHECK_MSG(fabs(a[t] - truth_a(t)) < 4.5 * ae[t], "%s step %d a %.6f truth %.6f esd %.2g",
                  name, t, a[t], truth_a(t), ae[t]);
        CHECK_MSG(fabs(wf[t] - truth_wf[t]) < 4.5 * wfe[t], "wf %g truth %g esd %g", wf[t],
                  truth_wf[t], wfe[t]);
        wmean = fmax(wmean, fabs(wf[t] - truth_wf[t]) / wfe[t]);
    }
    double rms = sqrt(ss / (2 * NT));
    printf("%s: pulls of CeO2 a and Si a over %d steps: rms %.3f, largest %.2f; ESD of CeO2 a "
           "%.2g A; weight fraction within %.2f ESD\n", name, NT, rms, worst, ae[0], wmean);
    CHECK_MSG(rms > 0.5 && rms < 1.6, "pull rms %g", rms);
}

int main(void)
{
    tsct_test_tmpdir(TMP);
    if (chdir(TMP) != 0)
        return 1;
    tsct_publish_set_replace(1);
    remove("series.h5"), remove("resume.h5"), remove("region.h5");
    double *q = malloc(NQ * sizeof *q), *y = malloc(NT * NQ * sizeof *y);
    double *s = malloc(NT * NQ * sizeof *s);
    make_patterns(q, y, s);
    char path[256];
    for (int t = 0; t < NT; t++) {
        snprintf(path, sizeof path, "p_%02d.xy", t);
        write_xy(path, q, y + (int64_t)t * NQ, s + (int64_t)t * NQ);
    }
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_report rep;

    /* the whole series of files */
    write_cfg("files.cfg", "files = p_*.xy\noutput = series.h5\nname = drift\n");
    CHECK_OK(run("files.cfg", NULL, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == NT);
    check_truth("series.h5", "drift");
    size_t size = 0;
    char *csv = (char *)tsct_test_slurp("files-series-parameters.csv", &size);
    CHECK(csv != NULL);
    if (csv) {
        csv[size] = '\0'; /* the slurp leaves room for it */
        CHECK(strstr(csv, "step,time,capacity,voltage,CeO2.scale,CeO2.scale_esd,CeO2.a,"
                          "CeO2.a_esd") != NULL);
        CHECK(strstr(csv, "CeO2.weight_fraction,") && strstr(csv, ",rwp,gof,status\n"));
        int rows = 0;
        for (char *c = csv; *c; c++)
            rows += *c == '\n';
        CHECK_MSG(rows == NT + 2, "%d lines", rows);
        free(csv);
    }
    struct stat sb;
    CHECK(stat("files-series-CeO2.a.png", &sb) == 0 && sb.st_size > 1000);
    CHECK(stat("files-series-CeO2.weight_fraction.png", &sb) == 0);
    CHECK(stat("files-series-CeO2.scale.png", &sb) != 0); /* linear: in the table only */

    /* interrupted at step 7 (its file unreadable), then resumed with the file restored */
    write_cfg("resume.cfg", "files = p_*.xy\noutput = resume.h5\nname = drift\n");
    CHECK(stat("p_07.xy", &sb) == 0);
    size_t len = 0;
    unsigned char *keep = tsct_test_slurp("p_07.xy", &len);
    FILE *f = fopen("p_07.xy", "w");
    for (size_t i = 0; f && i < len; i++)
        fputc('x', f);
    if (f)
        fclose(f);
    struct utimbuf ut = {sb.st_atime, sb.st_mtime};
    utime("p_07.xy", &ut);
    CHECK_FAILS(run("resume.cfg", NULL, &rep, &err), TSCT_ERR_FORMAT, &err, "p_07.xy");
    tsct_test_spit("p_07.xy", keep, len);
    utime("p_07.xy", &ut);
    free(keep);
    CHECK_OK(run("resume.cfg", NULL, &rep, &err), &err);
    CHECK_MSG(rep.units == NT - 7, "resumed run computed %lld steps", (long long)rep.units);
    double a1[NT], a2[NT], e1[NT];
    read_series("series.h5", "drift", "CeO2/a", a1);
    read_series("series.h5", "drift", "CeO2/a_esd", e1);
    read_series("resume.h5", "drift", "CeO2/a", a2);
    double worst = 0;
    for (int t = 0; t < NT; t++)
        worst = fmax(worst, fabs(a1[t] - a2[t]) / e1[t]);
    printf("resumed series against the whole one: largest difference %.3g ESD\n", worst);
    CHECK(worst < 0.01);

    /* a region's patterns [nt][nq] in a container, each step from the configuration's start */
    tsct_container *c = NULL;
    CHECK_OK(tsct_container_create("region.h5", 1, &c, &err), &err);
    tsct_dataset *d = NULL;
    int64_t shape[2] = {NT, NQ};
    if (c) {
        CHECK_OK(tsct_container_write_vector(c, "/entry/regions/R/q", q, NQ, "A^-1", &err),
                 &err);
        CHECK_OK(tsct_dataset_create(c, "/entry/regions/R/pattern", 2, shape, NULL, &d, &err),
                 &err);
        CHECK_OK(tsct_container_write_vector(c, "/entry/scan/time", q, NT, "s", &err), &err);
        CHECK_OK(tsct_container_set_attr_double(c, "/entry/scan", "wavelength", 0.2e-10, &err),
                 &err);
    }
    float *row = malloc(NQ * sizeof *row);
    for (int t = 0; d && t < NT; t++) {
        for (int64_t i = 0; i < NQ; i++)
            row[i] = (float)y[(int64_t)t * NQ + i];
        int64_t start[2] = {t, 0}, count[2] = {1, NQ};
        CHECK_OK(tsct_dataset_write(d, start, count, row, &err), &err);
    }
    free(row);
    tsct_dataset_close(d);
    tsct_container_close(c, NULL);
    write_cfg("region.cfg", "source = region\nstart = first\n");
    CHECK_OK(run("region.cfg", NULL, &rep, &err), &err);
    check_truth("region.h5", "series");

    /* bad input */
    tsct_publish_set_replace(0);
    CHECK_FAILS(run("files.cfg", NULL, &rep, &err), TSCT_ERR_EXISTS, &err, "parameters.csv");
    write_cfg("bad.cfg", "files = p_*.xy\noutput = bad.h5\nstep = 3\n");
    CHECK_FAILS(run("bad.cfg", NULL, &rep, &err), TSCT_ERR_VALUE, &err, "unknown key");
    write_cfg("bad.cfg", "files = nothing_*.xy\noutput = bad.h5\n");
    CHECK_FAILS(run("bad.cfg", NULL, &rep, &err), TSCT_ERR_NOT_FOUND, &err, "nothing_*.xy");
    write_cfg("bad.cfg", "files = p_00.xy\n");
    CHECK_FAILS(run("bad.cfg", NULL, &rep, &err), TSCT_ERR_VALUE, &err, "output = EXP.h5");
    for (int64_t i = 0; i < NQ; i++)
        q[i] *= 1.001;
    write_xy("shifted.xy", q, y, s);
    write_cfg("bad.cfg", "files = p_00.xy shifted.xy\noutput = bad.h5\n");
    CHECK_FAILS(run("bad.cfg", "bad", &rep, &err), TSCT_ERR_SHAPE, &err, "share its grid");
    free(q), free(y), free(s);
    printf("%d checks, %d failures\n", tsct_test_checks, tsct_test_failures);
    return tsct_test_failures ? 1 : 0;
}
