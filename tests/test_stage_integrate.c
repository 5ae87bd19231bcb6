/* test_stage_integrate.c - the integrate and echem stages of lib/stage through the library
 * alone, as a second front end (a Python module, an MPI driver) would call them: each test
 * builds a small input, runs its stage and checks the container against an exact expectation. */
#include <math.h>

#include "tsct/frames.h"
#include "tsct/image.h"
#include "tsct/integrate.h"
#include "tsct/pattern.h"
#include "tsct/poni.h"
#include "tsct/stage.h"
#include "tsct_test.h"

static char dir[1024];

static void path_of(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", dir, name);
}

/* ---- integrate ----------------------------------------------------------------------------
 * Six 24 x 28 frames (2 angles x 3 translations) in an HDF5 stack with a monitor and a
 * transmission per frame: /entry/integrated must hold, row by row, exactly what one plan
 * executed frame by frame with that frame's monitor gives; the scan axes, the transmission,
 * an incremental rerun that does nothing, and one image into an existing folder as
 * FOLDER/NAME.xy with the same pattern. */
enum { ROWS = 24, COLS = 28, NA = 2, NS = 3, NF = NA * NS, NPT = 20 };

static uint32_t pixel(int64_t k, int64_t r, int64_t c)
{
    return (uint32_t)(100 + 10 * k + ((r * 3 + c * 5 + k) % 7) * 5);
}

static void test_stage_integrate(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    char poni[4096], stack[4096], spec[4200], exp[4096], folder[4096], edf[4096], xy[4200];
    path_of(poni, sizeof poni, "det.poni");
    path_of(stack, sizeof stack, "stack.h5");
    path_of(exp, sizeof exp, "exp.h5");
    path_of(folder, sizeof folder, "xy");
    path_of(edf, sizeof edf, "f0.edf");
    snprintf(spec, sizeof spec, "%s::/entry/data/data", stack);
    const char *text = "poni_version: 2\nDetector: Detector\n"
                       "Detector_config: {\"pixel1\": 0.0002, \"pixel2\": 0.0002, "
                       "\"max_shape\": [24, 28]}\nDistance: 0.02\nPoni1: 0.0024\n"
                       "Poni2: 0.0028\nRot1: 0\nRot2: 0\nRot3: 0\nWavelength: 1e-10\n";
    CHECK(tsct_test_spit(poni, text, strlen(text)) == 0);
    remove(stack);
    remove(exp);
    static uint32_t frames[NF][ROWS][COLS];
    static float image[NF][ROWS * COLS];
    double monitor[NF], trans[NF];
    for (int64_t k = 0; k < NF; k++) {
        for (int64_t r = 0; r < ROWS; r++)
            for (int64_t c = 0; c < COLS; c++)
                image[k][r * COLS + c] = (float)(frames[k][r][c] = pixel(k, r, c));
        monitor[k] = 1.0 + 0.1 * (double)k;
        trans[k] = 0.5 + 0.05 * (double)k;
    }
    tsct_frames_writer_params wp = TSCT_FRAMES_WRITER_PARAMS_DEFAULT;
    wp.compression = TSCT_FRAMES_COMPRESS_DEFLATE;
    wp.transmission = "/entry/instrument/transmission/data";
    tsct_frames_writer *w = NULL;
    CHECK_OK(tsct_frames_writer_create(stack, NF, ROWS, COLS, &wp, &w, &err), &err);
    CHECK_OK(tsct_frames_writer_write(w, 0, NF, &frames[0][0][0], monitor, &err), &err);
    CHECK_OK(tsct_frames_writer_write_transmission(w, 0, NF, trans, &err), &err);
    CHECK_OK(tsct_frames_writer_commit(w, &err), &err);

    const char *specs[1] = {spec};
    tsct_stage_integrate_scan_params p = TSCT_STAGE_INTEGRATE_SCAN_PARAMS_DEFAULT;
    p.frames = specs, p.nframes = 1, p.poni = poni;
    p.integrate.npt = NPT;
    p.angles = NA, p.translations = NS;
    p.monitor_source = TSCT_STAGE_FRAME_VALUE_DATASET, p.monitor = "/entry/instrument/monitor/data";
    p.transmission_source = TSCT_STAGE_FRAME_VALUE_DATASET;
    p.transmission = "/entry/instrument/transmission/data";
    tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
    ctx.nthreads = 2;
    tsct_stage_report rep;
    CHECK_OK(tsct_stage_integrate(exp, &p, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == NA);

    /* The oracle: one plan, frame by frame. */
    tsct_poni g;
    tsct_integrate_plan *plan = NULL;
    CHECK_OK(tsct_poni_read(&g, poni, &err), &err);
    tsct_integrate_params ip = p.integrate;
    CHECK_OK(tsct_integrate_plan_create(&ip, &g, ROWS, COLS, NULL, NULL, NULL, &plan, &err),
             &err);
    const size_t ws = plan ? tsct_integrate_workspace_size(plan) : 0;
    void *work = malloc(ws ? ws : 1);
    float inten[NF][NPT], sig[NF][NPT], got[NF * NPT], gsig[NF * NPT], gt[NF];
    for (int64_t k = 0; plan && k < NF; k++)
        CHECK_OK(tsct_integrate_execute(plan, image[k], monitor[k], inten[k], sig[k], work, ws,
                                        &err), &err);
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    int64_t shape[8] = {0}, n = 0, zig = -1;
    double *angle = NULL, *tr = NULL, *q = NULL;
    const int64_t start[5] = {0, 0, 0, 0, 0}, count[5] = {1, 1, NA, NS, NPT};
    const int64_t tcount[4] = {1, 1, NA, NS};
    CHECK_OK(tsct_container_open(exp, TSCT_OPEN_READ, &c, &err), &err);
    CHECK_OK(tsct_dataset_open(c, TSCT_PATH_INTEGRATED, &d, &err), &err);
    CHECK(tsct_dataset_shape(d, shape) == 5 && shape[0] == 1 && shape[1] == 1 &&
          shape[2] == NA && shape[3] == NS && shape[4] == NPT);
    CHECK_OK(tsct_dataset_read(d, start, count, got, &err), &err);
    tsct_dataset_close(d);
    CHECK_OK(tsct_dataset_open(c, TSCT_PATH_INTEGRATED_SIGMA, &d, &err), &err);
    CHECK_OK(tsct_dataset_read(d, start, count, gsig, &err), &err);
    tsct_dataset_close(d);
    CHECK_OK(tsct_dataset_open(c, TSCT_PATH_SCAN "/transmission", &d, &err), &err);
    CHECK_OK(tsct_dataset_read(d, start, tcount, gt, &err), &err);
    tsct_dataset_close(d);
    int same = 1;
    for (int64_t k = 0; k < NF; k++) {
        for (int64_t b = 0; b < NPT; b++)
            same &= got[k * NPT + b] == inten[k][b] && gsig[k * NPT + b] == sig[k][b];
        CHECK_NEAR(gt[k], trans[k], 1e-7);
    }
    CHECK_MSG(same, "integrated rows differ from the plan executed frame by frame");
    CHECK_OK(tsct_container_read_vector(c, TSCT_PATH_SCAN "/angle", &angle, &n, &err), &err);
    CHECK(n == NA && angle && angle[0] == 0 && angle[1] == 90);
    CHECK_OK(tsct_container_read_vector(c, TSCT_PATH_SCAN "/translation", &tr, &n, &err), &err);
    CHECK(n == NS && tr && tr[0] == -1 && tr[1] == 0 && tr[2] == 1);
    CHECK_OK(tsct_container_read_vector(c, TSCT_PATH_INTEGRATED_Q, &q, &n, &err), &err);
    CHECK(n == NPT && q && plan && q[3] == tsct_integrate_plan_radial(plan)[3]);
    CHECK_OK(tsct_container_get_attr_int(c, TSCT_PATH_SCAN, "zigzag", &zig, &err), &err);
    CHECK(zig == 0);
    tsct_container_close(c, NULL);
    free(angle), free(tr), free(q);

    /* Incremental: the same settings, nothing to do. */
    ctx.incremental = 1;
    CHECK_OK(tsct_stage_integrate(exp, &p, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 0);

    /* One image into an existing folder: FOLDER/f0.xy, the plan's pattern of frame 0. */
    tsct_test_tmpdir(folder);
    snprintf(xy, sizeof xy, "%s/f0.xy", folder);
    remove(xy);
    CHECK_OK(tsct_image_write_edf(edf, image[0], ROWS, COLS, &err), &err);
    const char *images[1] = {edf};
    tsct_stage_integrate_files_params fp = TSCT_STAGE_INTEGRATE_FILES_PARAMS_DEFAULT;
    fp.images = images, fp.nimages = 1, fp.output = folder, fp.poni = poni;
    fp.integrate.npt = NPT;
    fp.monitor = monitor[0];
    CHECK_OK(tsct_stage_integrate_files(&fp, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == 1);
    double *x = NULL, *y = NULL;
    CHECK_OK(tsct_pattern_read_text(xy, &x, &y, &n, &err), &err);
    CHECK(n == NPT);
    for (int64_t b = 0; y && b < NPT && b < n; b++)
        CHECK_NEAR(y[b], inten[0][b], 1e-8 * fabs(inten[0][b]));
    free(x), free(y);
    fp.integrate.npt = 0;
    CHECK_FAILS(tsct_stage_integrate_files(&fp, &ctx, &rep, &err), TSCT_ERR_VALUE, &err, "");
    free(work);
    tsct_integrate_plan_destroy(plan);
}

/* ---- echem --------------------------------------------------------------------------------
 * A discharge at a constant 1 mA for 2 h, the voltage falling linearly from 3 V to 2 V, 1 mg
 * of active material, two tomograms of an hour each: their mean capacities are exactly 500
 * and 1500 mAh/g and their mean voltages 2.75 and 2.25 V (linear records, trapezoid rule). */
static void test_stage_echem(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    char exp[4096], csv[4096];
    path_of(exp, sizeof exp, "echem.h5");
    path_of(csv, sizeof csv, "echem.csv");
    remove(exp);
    FILE *f = fopen(csv, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f, "time/s,Ewe/V,<I>/mA\n");
    for (int k = 0; k <= 720; k++)
        fprintf(f, "%d,%.17g,-1\n", 10 * k, 3.0 - 10.0 * k / 7200.0);
    fclose(f);
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    const int64_t shape[5] = {2, 1, 1, 1, 4};
    CHECK_OK(tsct_container_create(exp, 0, &c, &err), &err);
    CHECK_OK(tsct_dataset_create(c, TSCT_PATH_INTEGRATED, 5, shape, NULL, &d, &err), &err);
    tsct_dataset_close(d);
    CHECK_OK(tsct_container_close(c, &err), &err);

    tsct_stage_echem_params p = TSCT_STAGE_ECHEM_PARAMS_DEFAULT;
    p.file = csv, p.mass_mg = 1.0, p.period = 3600.0;
    tsct_stage_report rep;
    CHECK_OK(tsct_stage_echem(exp, &p, NULL, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == 2);
    tsct_echem_stored s;
    c = NULL;
    CHECK_OK(tsct_container_open(exp, TSCT_OPEN_READ, &c, &err), &err);
    CHECK_OK(tsct_echem_stored_read(c, &s, &err), &err);
    tsct_container_close(c, NULL);
    CHECK(s.n == 721 && s.nt == 2 && s.time && s.voltage && s.current && s.capacity);
    CHECK(s.tomogram_start && s.tomogram_end && s.tomogram_capacity && s.tomogram_voltage &&
          s.tomogram_half_cycle);
    if (s.nt == 2 && s.tomogram_capacity && s.tomogram_voltage && s.tomogram_half_cycle) {
        CHECK(s.tomogram_start[1] == 3600 && s.tomogram_end[1] == 7200);
        CHECK_NEAR(s.tomogram_capacity[0], 500.0, 1e-9);
        CHECK_NEAR(s.tomogram_capacity[1], 1500.0, 1e-9);
        CHECK_NEAR(s.tomogram_voltage[0], 2.75, 1e-12);
        CHECK_NEAR(s.tomogram_voltage[1], 2.25, 1e-12);
        CHECK(s.tomogram_half_cycle[0] == 0 && s.tomogram_half_cycle[1] == 0);
        CHECK_NEAR(s.capacity[720], 2000.0, 1e-9);
    }
    tsct_echem_stored_release(&s);
    /* A window beyond the record names its tomogram; a container without time steps. */
    p.period = 5000.0;
    CHECK_FAILS(tsct_stage_echem(exp, &p, NULL, &rep, &err), TSCT_ERR_VALUE, &err,
                "tomogram 1 (5000.0 .. 10000.0 s)");
    char empty[4096];
    path_of(empty, sizeof empty, "empty.h5");
    remove(empty);
    c = NULL;
    CHECK_OK(tsct_container_create(empty, 0, &c, &err), &err);
    CHECK_FAILS(tsct_echem_stored_read(c, &s, &err), TSCT_ERR_NOT_FOUND, &err, "tsct echem");
    CHECK_OK(tsct_container_close(c, &err), &err);
    p.period = 3600.0;
    CHECK_FAILS(tsct_stage_echem(empty, &p, NULL, &rep, &err), TSCT_ERR_NOT_FOUND, &err,
                "no stage with time steps");
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tsct_test_tmpdir(TSCT_TEST_TMP));
    test_stage_integrate();
    test_stage_echem();
    return tsct_test_finish("test_stage_integrate");
}
