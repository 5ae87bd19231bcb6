/* test_phase.c - the phase model (tsct/phase.h): a crystal's pattern is the powder model at
 * the parameters the model reports, over the scaled cell's volume squared, times its scale
 * (bit for bit: what the refinement will evaluate with derivatives); lattice and size states
 * and the instrument move and widen the peaks; Debye clusters with a scaled lattice equal the
 * cluster cut from the scaled crystal; broad features where the literature puts them; the
 * structure-file search; descriptions copied; bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/phase.h"
#include "tsct/powder.h"
#include "tsct_test.h"

enum { NQ = 600 };

static void grid(double *q)
{
    for (int j = 0; j < NQ; j++)
        q[j] = 0.8 + 5.2 * j / (NQ - 1.0);
}

static int argmax(const float *v, int n, int lo, int hi)
{
    int best = lo;
    for (int j = lo; j < hi && j < n; j++)
        if (v[j] > v[best])
            best = j;
    return best;
}

/* The crystal pattern is the powder model at tsct_phase_model_powder_params() / V'^2 x scale. */
static void test_crystal(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    double q[NQ];
    grid(q);
    char name[32], source[64];
    snprintf(name, sizeof name, "Bi");
    snprintf(source, sizeof source, "Bi_COD9008576.cif");
    const tsct_phase_desc d = {name, TSCT_PHASE_CRYSTAL, source, 8.0, 0.5};
    tsct_phase_model_params mp = TSCT_PHASE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = 0.1425;
    mp.data_dirs = "/nonexistent:" TSCT_TEST_DATA "/cif";
    tsct_phase_model *m = NULL;
    CHECK_OK(tsct_phase_model_create(&d, 1, q, NQ, &mp, &m, &err), &err);
    if (!m)
        return;
    /* The model holds its own copies of the description. */
    memset(name, 'x', sizeof name - 1);
    memset(source, 'x', sizeof source - 1);
    const tsct_phase_desc *h = tsct_phase_model_desc(m, 0);
    CHECK(strcmp(h->name, "Bi") == 0 && strcmp(h->source, "Bi_COD9008576.cif") == 0);
    CHECK(h->scale == 0.5 && tsct_phase_model_count(m) == 1 && tsct_phase_model_size(m) == NQ);

    const tsct_powder_plan *plan = tsct_phase_model_powder_plan(m, 0);
    CHECK(plan != NULL && tsct_phase_model_crystal(m, 0) != NULL);
    const int64_t np = tsct_powder_plan_nparams(plan);
    CHECK(np == TSCT_POWDER_NPARAMS_BASE);
    const tsct_phase_state st = {{1.01, 1.0, 0.99}, 1.5};
    double p[TSCT_POWDER_NPARAMS_BASE], y[NQ], *jac = malloc((size_t)(np * NQ) * sizeof *jac);
    CHECK_OK(tsct_phase_model_powder_params(m, 0, &st, p, &err), &err);
    double abc[3];
    tsct_phase_model_cell(m, 0, abc);
    CHECK(p[TSCT_POWDER_P_A] == abc[0] * 1.01 && p[TSCT_POWDER_P_C] == abc[2] * 0.99);
    CHECK(p[TSCT_POWDER_P_SIZE] == 10.0 * 8.0 * 1.5 && p[TSCT_POWDER_P_SCALE] == 1.0);
    CHECK(p[TSCT_POWDER_P_W] == 1e-4 && p[TSCT_POWDER_P_ETA] == 0.5 && p[TSCT_POWDER_P_U] == 0);
    float out[NQ];
    CHECK_OK(tsct_phase_model_pattern(m, 0, &st, out, &err), &err);
    CHECK_OK(tsct_powder_evaluate(plan, p, y, jac, &err), &err);
    tsct_cell cell = *tsct_crystal_cell(tsct_phase_model_crystal(m, 0));
    const double v = tsct_crystal_cell_volume(&cell) * 1.01 * 1.0 * 0.99;
    int same = 1;
    for (int j = 0; j < NQ; j++)
        same &= out[j] == (float)(y[j] / (v * v) * 0.5);
    CHECK_MSG(same, "the pattern is not scale x powder / V^2 at the reported parameters");

    /* A larger lattice moves the strongest peak down in q; the default state is the CIF. */
    float base[NQ];
    CHECK_OK(tsct_phase_model_pattern(m, 0, NULL, base, &err), &err);
    const int j0 = argmax(base, NQ, 0, NQ);
    const tsct_phase_state big = {{1.02, 1.02, 1.02}, 1.0};
    CHECK_OK(tsct_phase_model_pattern(m, 0, &big, out, &err), &err);
    const int j1 = argmax(out, NQ, j0 - 40, j0 + 5);
    CHECK_MSG(fabs(q[j1] - q[j0] / 1.02) < 0.02, "peak at %.3f, expected %.3f", q[j1],
              q[j0] / 1.02);
    tsct_phase_model_destroy(m);

    /* A broader instrument lowers the peak and keeps its position. */
    mp.instrument.w = 4e-3;
    CHECK_OK(tsct_phase_model_create(&(tsct_phase_desc){"Bi", TSCT_PHASE_CRYSTAL,
                                                        "Bi_COD9008576.cif", 8.0, 0.5},
                                     1, q, NQ, &mp, &m, &err), &err);
    if (m) {
        CHECK_OK(tsct_phase_model_pattern(m, 0, NULL, out, &err), &err);
        CHECK(argmax(out, NQ, j0 - 3, j0 + 4) == j0 && out[j0] < 0.9f * base[j0]);
        tsct_phase_model_destroy(m);
    }
    free(jac);
}

/* Bad input: errors name the phase, the file or the folders. */
static void test_errors(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    double q[NQ];
    grid(q);
    tsct_phase_model *m = NULL;
    tsct_phase_model_params mp = TSCT_PHASE_MODEL_PARAMS_DEFAULT;
    mp.data_dirs = TSCT_TEST_DATA "/cif";
    const tsct_phase_desc ok = {"Cu", TSCT_PHASE_CRYSTAL, "Cu_COD9008468.cif", 50, 1};
    CHECK_FAILS(tsct_phase_model_create(&ok, 1, q, NQ, &mp, &m, &err), TSCT_ERR_VALUE, &err,
                "wavelength");
    CHECK(m == NULL);
    mp.wavelength = 0.2;
    CHECK_FAILS(tsct_phase_model_create(&ok, 0, q, NQ, &mp, &m, &err), TSCT_ERR_VALUE, &err,
                "at least one");
    const tsct_phase_desc missing[2] = {ok, {"Unobtainium", TSCT_PHASE_CRYSTAL, "none.cif", 50, 1}};
    CHECK(tsct_phase_model_create(missing, 2, q, NQ, &mp, &m, &err) == TSCT_ERR_NOT_FOUND);
    CHECK_MSG(m == NULL && strcmp(err.item, "Unobtainium") == 0 &&
                  strstr(err.message, TSCT_TEST_DATA "/cif") != NULL,
              "%s: %s", err.item, err.message);
    tsct_error_clear(&err);
    const tsct_phase_desc glass = {"glass", TSCT_PHASE_BROAD, "kryptonite", 0, 1};
    CHECK_FAILS(tsct_phase_model_create(&glass, 1, q, NQ, &mp, &m, &err), TSCT_ERR_NOT_FOUND,
                &err, "known are");
    CHECK(m == NULL);
    const tsct_phase_desc odd = {"odd", (tsct_phase_kind)7, "x.cif", 1, 1};
    CHECK_FAILS(tsct_phase_model_create(&odd, 1, q, NQ, &mp, &m, &err), TSCT_ERR_VALUE, &err,
                "got 7");
    tsct_phase_model_destroy(NULL);
}

/* The structure-file search: a path as it is, else the first folder that holds the name. */
static void test_find_file(void)
{
    char path[4096];
    CHECK(tsct_phase_find_file("/nonexistent:" TSCT_TEST_DATA "/cif", "Si_COD9008566.cif", path,
                               sizeof path) == 1);
    CHECK(strcmp(path, TSCT_TEST_DATA "/cif/Si_COD9008566.cif") == 0);
    CHECK(tsct_phase_find_file(NULL, TSCT_TEST_DATA "/cif/Si_COD9008566.cif", path,
                               sizeof path) == 1);
    CHECK(tsct_phase_find_file(TSCT_TEST_DATA "/cif", "none.cif", path, sizeof path) == 0);
    CHECK(tsct_phase_find_file(NULL, "Si_COD9008566.cif", path, sizeof path) == 0);
    CHECK(tsct_phase_find_file("", "Si_COD9008566.cif", path, sizeof path) == 0);
    setenv("TSCT_STRUCTURES", TSCT_TEST_DATA "/cif", 1);
    CHECK(strcmp(tsct_phase_default_dirs(), TSCT_TEST_DATA "/cif") == 0);
    unsetenv("TSCT_STRUCTURES");
    CHECK(strstr(tsct_phase_default_dirs(), "structures") != NULL);
}

/* Copy a CIF with its cell lengths multiplied by s. */
static int scaled_cif(const char *src, const char *dst, double s)
{
    FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
    char line[512];
    int ok = in && out;
    while (ok && fgets(line, sizeof line, in)) {
        double v;
        char key[64];
        if (sscanf(line, "%63s %lf", key, &v) == 2 && strncmp(key, "_cell_length_", 13) == 0)
            fprintf(out, "%s %.10f\n", key, v * s);
        else
            fputs(line, out);
    }
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    return ok;
}

/* A nano cluster at lattice scale s scatters as the cluster cut from the crystal whose cell is
 * s times larger (radius s times larger: the same atoms), per unit of its volume. */
static void test_nano_scaled(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    char dir[4096], cif[4200];
    snprintf(dir, sizeof dir, "%s", tsct_test_tmpdir(TSCT_TEST_TMP));
    snprintf(cif, sizeof cif, "%s/Si_scaled.cif", dir);
    const double s = 1.064;
    CHECK(scaled_cif(TSCT_TEST_DATA "/cif/Si_COD9008566.cif", cif, s));
    tsct_phase_desc mats[2] = {
        {"aSi", TSCT_PHASE_NANO, TSCT_TEST_DATA "/cif/Si_COD9008566.cif", 0.5, 1},
        {"aSi_big", TSCT_PHASE_NANO, cif, 0.5 * s, 1},
    };
    enum { NQS = 400 };
    double q[NQS];
    for (int j = 0; j < NQS; j++)
        q[j] = 0.5 + 19.5 * j / (NQS - 1.0);
    tsct_phase_model *m = NULL;
    tsct_phase_model_params mp = TSCT_PHASE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = 0.14;
    mp.data_dirs = "";
    CHECK_OK(tsct_phase_model_create(mats, 2, q, NQS, &mp, &m, &err), &err);
    if (!m)
        return;
    float a[NQS], b[NQS], c[NQS];
    const tsct_phase_state iso = {{s, s, s}, 1.0};
    CHECK_OK(tsct_phase_model_pattern(m, 0, &iso, a, &err), &err);
    CHECK_OK(tsct_phase_model_pattern(m, 1, NULL, b, &err), &err);
    CHECK_OK(tsct_phase_model_pattern(m, 0, NULL, c, &err), &err);
    double worst = 0, diff = 0;
    for (int j = 0; j < NQS; j++) {
        worst = fmax(worst, fabs(a[j] - b[j]) / fabs(b[j]));
        diff = fmax(diff, fabs(a[j] - c[j]) / fabs(c[j]));
    }
    CHECK_MSG(worst < 1e-5, "scaled cluster vs scaled crystal: %.3g relative", worst);
    CHECK_MSG(diff > 0.05, "a 6.4 %% larger lattice changed the pattern by only %.3g", diff);
    double abc[3];
    tsct_phase_model_cell(m, 1, abc);
    CHECK_NEAR(abc[0], 5.4307 * s, 1e-9);
    const tsct_phase_state bad = {{1, 0, 1}, 1.0};
    CHECK_FAILS(tsct_phase_model_pattern(m, 0, &bad, a, &err), TSCT_ERR_VALUE, &err,
                "lattice scale 0");
    CHECK(tsct_phase_model_powder_plan(m, 0) == NULL && tsct_phase_model_crystal(m, 0) != NULL);
    CHECK_FAILS(tsct_phase_model_powder_params(m, 0, NULL, (double[16]){0}, &err),
                TSCT_ERR_VALUE, &err, "not a crystalline phase");
    tsct_phase_model_destroy(m);
}

/* Broad patterns: maxima where the literature puts them, densities ordered, unknown names. */
static void test_broad(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    double q[1000];
    float v[1000];
    for (int j = 0; j < 1000; j++)
        q[j] = 0.5 + 0.007 * j;
    const struct {
        const char *name;
        double q_max;
    } want[] = {{"quartz", 1.52}, {"glassy_carbon", 1.72}, {"carbon", 1.76},
                {"electrolyte", 1.45}, {"separator", 1.52}};
    for (int m = 0; m < 5; m++) {
        CHECK_OK(tsct_phase_broad_pattern(want[m].name, q, 1000, v, &err), &err);
        int best = 0;
        for (int j = 1; j < 1000; j++)
            if (v[j] > v[best])
                best = j;
        CHECK_MSG(fabs(q[best] - want[m].q_max) < 0.05, "%s: maximum at %.3f", want[m].name,
                  q[best]);
    }
    float air[1000], quartz[1000];
    CHECK_OK(tsct_phase_broad_pattern("air", q, 1000, air, &err), &err);
    CHECK_OK(tsct_phase_broad_pattern("quartz", q, 1000, quartz, &err), &err);
    CHECK(air[150] < 0.01f * quartz[150]);
    CHECK_FAILS(tsct_phase_broad_pattern("kryptonite", q, 1000, v, &err), TSCT_ERR_NOT_FOUND,
                &err, "glassy_carbon");
}

int main(void)
{
    test_crystal();
    test_errors();
    test_find_file();
    test_nano_scaled();
    test_broad();
    return tsct_test_finish("test_phase");
}
