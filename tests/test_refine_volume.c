/* test_refine_volume.c - per-voxel refinement over /entry/recon (tsct_stage_refine_volume,
 * tsct/stage_refine_volume.h) and the model's clone.
 *
 * A volume of 2 time steps x 6 x 6 voxels of NMC111 + CeO2 patterns made by the model itself
 * (tsct_refine_model_evaluate) with per-voxel truths: NMC a growing 0.1 % across the columns
 * and 0.02 % per time step, c 0.05 % across the rows, per-voxel scales and background, CeO2
 * absent from the last column; Gaussian noise of one sigma everywhere (the unit weights the
 * stage uses are then right). The refined maps must recover every voxel's a and c with honest
 * ESDs (pulls (fit - truth) / ESD with a standard deviation within 0.6 .. 1.5 and a mean
 * within 0.5), every voxel converged, NaN outside the sample, CeO2's weight fraction 0 where
 * it is absent (absent_below) and its maps NaN there, the NMC cell volume sqrt(3)/2 a^2 c of
 * the a and c maps, the same maps on 1 and 2 threads, and named errors for bad
 * configurations. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsct/container.h"
#include "tsct/refine.h"
#include "tsct/stage.h"
#include "tsct_test.h"

#define CIFDIR TSCT_TEST_DATA "/cif"
#define STRUCTDIR TSCT_TEST_DATA "/../../data/structures"
#define DIR TSCT_TEST_TMP "/refine_volume"

enum { NT = 2, NY = 6, NX = 6, NQ = 1200 };
static const double A0 = 2.8590, C0 = 14.2301, SIGMA = 1.0;

static double qgrid(int64_t i)
{
    return 1.2 + 4.3 * (double)i / (NQ - 1);
}

static int in_sample(int y, int x)
{
    return (y - 2.5) * (y - 2.5) + (x - 2.5) * (x - 2.5) < 9;
}

static double true_a(int t, int x)
{
    return A0 * (1 + 1e-3 * (x - 2.5) / 2.5 + 2e-4 * t);
}

static double true_c(int y)
{
    return C0 * (1 + 5e-4 * (y - 2.5) / 2.5);
}

static double gauss(unsigned long long *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    double u1 = ((*seed >> 11) + 0.5) / 9007199254740992.0;
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    double u2 = ((*seed >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static void set(tsct_refine_model *m, const char *name, double v)
{
    tsct_error err = TSCT_ERROR_INIT;
    CHECK_OK(tsct_refine_model_set(m, name, v, -1, &err), &err);
}

/* The experiment: /entry/recon/data [NT][1][NY][NX][NQ] and its q. */
static void make_volume(const char *path)
{
    tsct_error err = TSCT_ERROR_INIT;
    double q[NQ];
    for (int i = 0; i < NQ; i++)
        q[i] = qgrid(i);
    tsct_refine_phase_desc ph[2] = {{"NMC", STRUCTDIR "/NMC111_LiNi1_3Mn1_3Co1_3O2.cif",
                                     {0, 0, 0}},
                                    {"CeO2", CIFDIR "/CeO2_COD9009008.cif", {0, 0, 0}}};
    tsct_refine_model_params mp = TSCT_REFINE_MODEL_PARAMS_DEFAULT;
    mp.wavelength = 0.2;
    mp.nbackground = 3;
    tsct_refine_model *m = NULL;
    CHECK_OK(tsct_refine_model_create(&mp, ph, 2, NULL, 0, NULL, 0, q, NQ, &m, &err), &err);
    tsct_refine_model *mc = NULL;
    CHECK_OK(tsct_refine_model_clone(m, &mc, &err), &err);
    if (!m || !mc)
        return;
    set(m, "instrument.W", 4e-5);
    set(m, "NMC.size", 80);
    set(m, "CeO2.a", 5.4123);
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    CHECK_OK(tsct_container_create(path, 1, &c, &err), &err);
    CHECK_OK(tsct_container_write_vector(c, TSCT_PATH_RECON_Q, q, NQ, "1/A", &err), &err);
    const int64_t shape[5] = {NT, 1, NY, NX, NQ};
    CHECK_OK(tsct_dataset_create(c, TSCT_PATH_RECON, 5, shape, NULL, &d, &err), &err);
    float *row = malloc(sizeof(float) * NX * NQ);
    double y[NQ], y2[NQ];
    unsigned long long seed = 2026120701;
    for (int t = 0; t < NT; t++)
        for (int yy = 0; yy < NY; yy++) {
            for (int x = 0; x < NX; x++) {
                for (int i = 0; i < NQ; i++)
                    y[i] = 0;
                if (in_sample(yy, x)) {
                    set(m, "NMC.a", true_a(t, x));
                    set(m, "NMC.c", true_c(yy));
                    set(m, "NMC.scale", 2e-7 * (1 + 0.2 * sin(x + 2.0 * yy + t)));
                    set(m, "CeO2.scale", x == NX - 1 ? 0 : 1e-7 * (1 + 0.3 * cos(x - yy)));
                    set(m, "bg.0", 20 + 1.0 * t + 0.5 * yy);
                    set(m, "bg.1", -3);
                    set(m, "bg.2", 1.0 * x);
                    CHECK_OK(tsct_refine_model_evaluate(m, y, NULL, &err), &err);
                }
                for (int i = 0; i < NQ; i++)
                    row[x * NQ + i] = (float)(y[i] + SIGMA * gauss(&seed));
            }
            int64_t lead[3] = {t, 0, yy};
            CHECK_OK(tsct_dataset_write_row(d, lead, row, &err), &err);
        }
    /* the clone is the model: same values give the same pattern, and it is independent */
    for (int i = 0; i < tsct_refine_model_nparams(m); i++)
        tsct_refine_model_param(mc, i)->value = tsct_refine_model_param(m, i)->value;
    CHECK_OK(tsct_refine_model_evaluate(m, y, NULL, &err), &err);
    CHECK_OK(tsct_refine_model_evaluate(mc, y2, NULL, &err), &err);
    double dmax = 0;
    for (int i = 0; i < NQ; i++)
        dmax = fmax(dmax, fabs(y[i] - y2[i]));
    CHECK_MSG(dmax == 0, "clone's pattern differs by %g", dmax);
    tsct_refine_model_destroy(m);
    CHECK_OK(tsct_refine_model_evaluate(mc, y2, NULL, &err), &err);
    tsct_refine_model_destroy(mc);
    free(row);
    tsct_dataset_close(d);
    CHECK_OK(tsct_container_close(c, &err), &err);
}

static const char *write_cfg(const char *name, const char *extra_nmc, const char *extra)
{
    static char path[512];
    snprintf(path, sizeof path, DIR "/%s.cfg", name);
    FILE *f = fopen(path, "w");
    if (!f)
        return path;
    fprintf(f, "[data]\nwavelength = 0.2\nrange = 1.3 5.4\n"
               "[background]\nterms = 3\nvoxel = all\n"
               "[instrument]\nW = 4e-5\n"
               "[phase.NMC]\ncif = %s\nsize = 80\nrefine = scale a c\n%s\n"
               "[phase.CeO2]\ncif = %s\nrefine = scale a\nvoxel = scale\n%s",
            STRUCTDIR "/NMC111_LiNi1_3Mn1_3Co1_3O2.cif", extra_nmc,
            CIFDIR "/CeO2_COD9009008.cif", extra);
    fclose(f);
    return path;
}

static float *read_map(const char *exp, const char *path)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    float *buf = malloc(sizeof(float) * NT * NY * NX);
    CHECK_OK(tsct_container_open(exp, TSCT_OPEN_READ, &c, &err), &err);
    CHECK_OK(tsct_dataset_open(c, path, &d, &err), &err);
    int64_t sh[8] = {0}, start[4] = {0, 0, 0, 0}, count[4] = {NT, 1, NY, NX};
    CHECK(d && tsct_dataset_shape(d, sh) == 4 && sh[0] == NT && sh[2] == NY && sh[3] == NX);
    if (d)
        CHECK_OK(tsct_dataset_read(d, start, count, buf, &err), &err);
    tsct_dataset_close(d);
    tsct_container_close(c, NULL);
    return buf;
}

static void check_maps(const char *exp)
{
    float *a = read_map(exp, "/entry/refine/vox/NMC/a");
    float *ae = read_map(exp, "/entry/refine/vox/NMC/a_esd");
    float *c = read_map(exp, "/entry/refine/vox/NMC/c");
    float *ce = read_map(exp, "/entry/refine/vox/NMC/c_esd");
    float *vol = read_map(exp, "/entry/refine/vox/NMC/volume");
    float *st = read_map(exp, "/entry/refine/vox/status");
    float *wf = read_map(exp, "/entry/refine/vox/CeO2/weight_fraction");
    float *wn = read_map(exp, "/entry/refine/vox/NMC/weight_fraction");
    float *cs = read_map(exp, "/entry/refine/vox/CeO2/scale");
    float *cse = read_map(exp, "/entry/refine/vox/CeO2/scale_esd");
    double s[2][2] = {{0}}, worst_v = 0;
    int n = 0, outside_nan = 1, converged = 1, absent_ok = 1, present_ok = 1;
    for (int t = 0; t < NT; t++)
        for (int y = 0; y < NY; y++)
            for (int x = 0; x < NX; x++) {
                int i = (t * NY + y) * NX + x;
                if (!in_sample(y, x)) {
                    outside_nan &= isnan(a[i]) && isnan(st[i]) && isnan(wf[i]);
                    continue;
                }
                converged &= st[i] == 0;
                double pa = (a[i] - true_a(t, x)) / ae[i], pc = (c[i] - true_c(y)) / ce[i];
                s[0][0] += pa, s[0][1] += pa * pa, s[1][0] += pc, s[1][1] += pc * pc;
                n++;
                double v = sqrt(3) / 2 * (double)a[i] * a[i] * c[i];
                worst_v = fmax(worst_v, fabs(vol[i] - v) / v);
                if (x == NX - 1)
                    absent_ok &= wf[i] == 0 && isnan(cs[i]) && isnan(cse[i]) && wn[i] == 1;
                else
                    present_ok &= wf[i] > 0.2 && wf[i] < 0.8 && fabs(wf[i] + wn[i] - 1) < 1e-5 &&
                                  cse[i] > 0;
            }
    CHECK(n > 40);
    CHECK_MSG(outside_nan, "maps outside the sample are not NaN");
    CHECK_MSG(converged, "a sample voxel did not converge");
    CHECK_MSG(absent_ok, "CeO2 not removed where it is absent");
    CHECK_MSG(present_ok, "weight fractions where both phases are present");
    CHECK_MSG(worst_v < 1e-5, "volume vs sqrt(3)/2 a^2 c: %g", worst_v);
    const char *nm[2] = {"NMC.a", "NMC.c"};
    for (int k = 0; k < 2; k++) {
        double mean = s[k][0] / n, sd = sqrt(s[k][1] / n - mean * mean);
        printf("per-voxel %s over %d voxels: pulls mean %.2f, sd %.2f\n", nm[k], n, mean, sd);
        CHECK_MSG(sd > 0.6 && sd < 1.5, "%s pull sd %.2f", nm[k], sd);
        CHECK_MSG(fabs(mean) < 0.5, "%s pull mean %.2f", nm[k], mean);
    }
    free(a), free(ae), free(c), free(ce), free(vol), free(st), free(wf), free(wn), free(cs);
    free(cse);
}

static int same_map(const char *exp, const char *p1, const char *p2)
{
    float *a = read_map(exp, p1), *b = read_map(exp, p2);
    int same = memcmp(a, b, sizeof(float) * NT * NY * NX) == 0;
    free(a), free(b);
    return same;
}

int main(void)
{
    tsct_test_tmpdir(DIR);
    const char *exp = DIR "/exp.h5";
    make_volume(exp);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
    ctx.nthreads = 2;
    tsct_stage_refine_volume_params p = TSCT_STAGE_REFINE_VOLUME_PARAMS_DEFAULT;
    p.config = write_cfg("good", "voxel = scale a c", "[voxel]\nabsent_below = 0.02\n");
    p.name = "vox";
    tsct_stage_report rep;
    CHECK_OK(tsct_stage_refine_volume(exp, &p, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == NT * NY);
    printf("%s\n", rep.what);
    check_maps(exp);

    /* one thread: the same maps (every voxel starts from its time step's global result) */
    ctx.nthreads = 1;
    p.name = "one";
    CHECK_OK(tsct_stage_refine_volume(exp, &p, &ctx, &rep, &err), &err);
    CHECK(same_map(exp, "/entry/refine/vox/NMC/a", "/entry/refine/one/NMC/a"));
    CHECK(same_map(exp, "/entry/refine/vox/CeO2/weight_fraction",
                   "/entry/refine/one/CeO2/weight_fraction"));

    /* errors name the configuration's key */
    p.name = "bad";
    p.config = write_cfg("bad_param", "voxel = scale a foo", "");
    CHECK_FAILS(tsct_stage_refine_volume(exp, &p, &ctx, NULL, &err), TSCT_ERR_NOT_FOUND, &err,
                "foo");
    {
        /* no voxel list at all (background's removed too) */
        FILE *f = fopen(DIR "/none.cfg", "w");
        fprintf(f, "[data]\nwavelength = 0.2\n[phase.NMC]\ncif = %s\nrefine = scale a c\n",
                STRUCTDIR "/NMC111_LiNi1_3Mn1_3Co1_3O2.cif");
        fclose(f);
        p.config = DIR "/none.cfg";
        CHECK_FAILS(tsct_stage_refine_volume(exp, &p, &ctx, NULL, &err), TSCT_ERR_VALUE, &err,
                    "per voxel");
        f = fopen(DIR "/file.cfg", "w");
        fprintf(f, "[data]\nfile = x.xy\n[phase.NMC]\ncif = %s\nvoxel = a\n",
                STRUCTDIR "/NMC111_LiNi1_3Mn1_3Co1_3O2.cif");
        fclose(f);
        p.config = DIR "/file.cfg";
        CHECK_FAILS(tsct_stage_refine_volume(exp, &p, &ctx, NULL, &err), TSCT_ERR_VALUE, &err,
                    "/entry/recon");
    }
    p.config = write_cfg("mask", "voxel = a\nmask = nosuch", "");
    CHECK_FAILS(tsct_stage_refine_volume(exp, &p, &ctx, NULL, &err), TSCT_ERR_NOT_FOUND, &err,
                "nosuch");
    p.config = write_cfg("vkey", "voxel = a", "[voxel]\nmode = fast\n");
    CHECK_FAILS(tsct_stage_refine_volume(exp, &p, &ctx, NULL, &err), TSCT_ERR_VALUE, &err,
                "absent_below");
    return tsct_test_finish("test_refine_volume");
}
