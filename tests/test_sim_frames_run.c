/* test_sim_frames_run.c - the frame level on a Pilatus detector and the frame stack writer.
 *
 * The demo preset cut to 2 angles x 4 translations, one time step, rendered noiselessly onto a
 * Pilatus 300k (619 x 487: three modules, two 17-row gaps) with a dark current and a flat
 * field, the distance left to the simulator (qmax on the largest circle inside the detector):
 *  - mask.edf is exactly the module gaps of tsct_poni_detector_mask (pyFAI's calc_mask);
 *  - detector.poni reads back to the geometry of tsct_sim_detector_geometry, and qmax lies at
 *    the detector's nearest edge from the PONI (relative 1e-12);
 *  - every frame equals the renderer's expected counts for its pattern in
 *    /ground_truth/expected (counts x I x solid angle x polarization x flat + dark, rounded),
 *    with masked pixels 2^32 - 1, read back through tsct_frames (exact);
 *  - the writer: deflate fallback readable, a stack with a frame never written is refused at
 *    the commit and leaves nothing, writes outside the stack are refused.
 */
#include <math.h>
#include <stdint.h>
#include <unistd.h>

#include "tsct/container.h"
#include "tsct/frames.h"
#include "tsct/image.h"
#include "tsct/poni.h"
#include "tsct/simulate.h"
#include "tsct_test.h"

static char dir[1024];

static void test_pilatus_run(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_sim_preset p;
    CHECK_OK(tsct_sim_preset_get("demo", &p, &err), &err);
    p.na = 2;
    p.ns = 4;
    p.detector.name = "Pilatus300k";
    p.detector.rows = p.detector.cols = 0;
    p.detector.pixel_um = 0;
    p.detector.distance_mm = 0;
    p.detector.centred = 1;
    p.detector.dark = 2.0;
    p.detector.flat_sd = 0.05;
    char exp_path[1200], frames_dir[1200], path[1300];
    snprintf(exp_path, sizeof exp_path, "%s/pilatus.h5", dir);
    snprintf(frames_dir, sizeof frames_dir, "%s/pilatus_frames", dir);
    tsct_sim_run_params rp = {1, tsct_phase_default_dirs(), NULL, "test", 2, 1};
    tsct_sim_frames_params fp = {frames_dir, 1, TSCT_SIM_FRAMES_HDF5};
    CHECK_OK(tsct_sim_run_frames(&p, exp_path, &rp, &fp, NULL, NULL, &err), &err);

    tsct_poni g, back;
    CHECK_OK(tsct_sim_detector_geometry(&p, &g, &err), &err);
    CHECK(g.shape[0] == 619 && g.shape[1] == 487);
    snprintf(path, sizeof path, "%s/detector.poni", frames_dir);
    CHECK_OK(tsct_poni_read(&back, path, &err), &err);
    CHECK(strcmp(back.detector, "Pilatus300k") == 0);
    CHECK(back.dist == g.dist && back.poni1 == g.poni1 && back.poni2 == g.poni2 &&
          back.wavelength == g.wavelength && back.pixel1 == g.pixel1);
    /* Centred: the nearest edge is half the width, 487 / 2 pixels. */
    double two_theta = atan(0.5 * 487 * g.pixel2 / g.dist);
    double qedge = 4 * M_PI * sin(two_theta / 2) / (g.wavelength * 1e10);
    CHECK_MSG(fabs(qedge / p.qmax - 1) < 1e-12, "q at the edge %.15g, qmax %g", qedge, p.qmax);

    const int64_t rows = 619, cols = 487, npx = rows * cols;
    uint8_t *gaps = calloc((size_t)npx, 1), *want = calloc((size_t)npx, 1);
    tsct_poni_detector det;
    CHECK_OK(tsct_poni_detector_find("Pilatus300k", &det, &err), &err);
    int64_t ngaps = tsct_poni_detector_mask(&det, rows, cols, want);
    CHECK(ngaps == 2 * 17 * cols);
    tsct_image img;
    tsct_image_init(&img);
    snprintf(path, sizeof path, "%s/mask.edf", frames_dir);
    CHECK_OK(tsct_image_read(&img, path, NULL, &err), &err);
    CHECK(img.raw_dtype == TSCT_IMAGE_DTYPE_U8 && img.rows == rows && img.cols == cols);
    int64_t diff = 0;
    for (int64_t k = 0; img.data && k < npx; k++)
        diff += (img.data[k] != 0) != want[k];
    CHECK_MSG(diff == 0, "%lld mask pixels differ from the module gaps", (long long)diff);

    /* Dark and flat as written, then every frame against the renderer. */
    float *dark = malloc((size_t)npx * sizeof *dark), *flat = malloc((size_t)npx * sizeof *flat);
    snprintf(path, sizeof path, "%s/dark.edf", frames_dir);
    CHECK_OK(tsct_image_read(&img, path, NULL, &err), &err);
    memcpy(dark, img.data, (size_t)npx * sizeof *dark);
    snprintf(path, sizeof path, "%s/flat.edf", frames_dir);
    CHECK_OK(tsct_image_read(&img, path, NULL, &err), &err);
    memcpy(flat, img.data, (size_t)npx * sizeof *flat);
    tsct_image_release(&img);
    tsct_sim_render_plan *plan = NULL;
    CHECK_OK(tsct_sim_render_plan_create(&g, rows, cols, want, 0.99, 1, &plan, &err), &err);

    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    CHECK_OK(tsct_container_open(exp_path, TSCT_OPEN_READ, &c, &err), &err);
    double *q = NULL;
    int64_t nq = 0;
    CHECK_OK(tsct_container_read_vector(c, "/ground_truth/q", &q, &nq, &err), &err);
    CHECK_OK(tsct_dataset_open(c, "/ground_truth/expected", &d, &err), &err);
    float *expected = malloc((size_t)(8 * nq) * sizeof *expected);
    int64_t start[5] = {0, 0, 0, 0, 0}, count[5] = {1, 1, 2, 4, nq};
    CHECK_OK(tsct_dataset_read(d, start, count, expected, &err), &err);
    tsct_dataset_close(d);
    tsct_container_close(c, NULL);

    snprintf(path, sizeof path, "%s/frames_t0000.h5::/entry/data/data", frames_dir);
    const char *spec = path;
    tsct_frames *fr = NULL;
    CHECK_OK(tsct_frames_open(&spec, 1, NULL, &fr, &err), &err);
    float *frame = malloc((size_t)npx * sizeof *frame), *ref = malloc((size_t)npx * sizeof *ref);
    CHECK(fr && tsct_frames_count(fr) == 8);
    for (int64_t k = 0; fr && plan && k < 8; k++) {
        CHECK_OK(tsct_frames_read(fr, k, frame, &err), &err);
        CHECK_OK(tsct_sim_render(plan, q, expected + k * nq, nq, p.detector.counts, dark, flat, NULL, NULL,
                                 ref, &err),
                 &err);
        int64_t bad = 0;
        for (int64_t i = 0; i < npx; i++) {
            double w = ref[i] < 0 ? 4294967295.0 : (double)llround(ref[i]);
            bad += frame[i] != (float)w;
        }
        CHECK_MSG(bad == 0, "frame %lld: %lld pixels differ from the renderer", (long long)k,
                  (long long)bad);
    }
    tsct_frames_close(fr);
    tsct_sim_render_plan_destroy(plan);
    free(q);
    free(expected);
    free(frame);
    free(ref);
    free(dark);
    free(flat);
    free(gaps);
    free(want);
}

static void test_writer(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    char path[1200], spec[1300];
    snprintf(path, sizeof path, "%s/stack.h5", dir);
    unlink(path);   /* from an earlier run */
    tsct_frames_writer_params wp = TSCT_FRAMES_WRITER_PARAMS_DEFAULT;
    wp.compression = TSCT_FRAMES_COMPRESS_DEFLATE;
    tsct_frames_writer *w = NULL;
    CHECK_OK(tsct_frames_writer_create(path, 3, 4, 5, &wp, &w, &err), &err);
    if (!w)
        return;
    CHECK(strcmp(tsct_frames_writer_compression(w), "deflate:1") == 0);
    uint32_t px[2 * 20];
    double mon[2] = {1.5, 2.5};
    for (int i = 0; i < 40; i++)
        px[i] = (uint32_t)(i * 1000003u);
    CHECK_OK(tsct_frames_writer_write(w, 0, 2, px, mon, &err), &err);
    CHECK_FAILS(tsct_frames_writer_write(w, 2, 2, px, mon, &err), TSCT_ERR_VALUE, &err,
                "outside the stack");
    CHECK_FAILS(tsct_frames_writer_write(w, 2, 1, px, NULL, &err), TSCT_ERR_VALUE, &err,
                "monitor");
    CHECK_FAILS(tsct_frames_writer_commit(w, &err), TSCT_ERR_STATE, &err, "never written");
    CHECK(access(path, F_OK) != 0);

    /* Without a transmission dataset its values are refused by name. */
    CHECK_OK(tsct_frames_writer_create(path, 2, 4, 5, &wp, &w, &err), &err);
    const double trn[2] = {0.75, 0.5};
    CHECK_FAILS(tsct_frames_writer_write_transmission(w, 0, 2, trn, &err), TSCT_ERR_VALUE, &err,
                "without a transmission dataset");
    tsct_frames_writer_destroy(w);
    wp.transmission = "/entry/instrument/transmission/data";
    CHECK_OK(tsct_frames_writer_create(path, 2, 4, 5, &wp, &w, &err), &err);
    CHECK_OK(tsct_frames_writer_write(w, 1, 1, px + 20, mon + 1, &err), &err);
    CHECK_OK(tsct_frames_writer_write(w, 0, 1, px, mon, &err), &err);
    CHECK_OK(tsct_frames_writer_write_transmission(w, 1, 1, trn + 1, &err), &err);
    CHECK_OK(tsct_frames_writer_write_transmission(w, 0, 1, trn, &err), &err);
    CHECK_FAILS(tsct_frames_writer_write_transmission(w, 1, 2, trn, &err), TSCT_ERR_VALUE, &err,
                "outside the stack");
    CHECK_OK(tsct_frames_writer_commit(w, &err), &err);
    snprintf(spec, sizeof spec, "%s::/entry/data/data", path);
    const char *s = spec;
    tsct_frames *fr = NULL;
    CHECK_OK(tsct_frames_open(&s, 1, NULL, &fr, &err), &err);
    float got[20];
    for (int64_t k = 0; fr && k < 2; k++) {
        CHECK_OK(tsct_frames_read(fr, k, got, &err), &err);
        int same = 1;
        for (int i = 0; i < 20; i++)
            same &= got[i] == (float)px[k * 20 + i];
        CHECK_MSG(same, "frame %lld read back differs", (long long)k);
    }
    tsct_frames_close(fr);
    tsct_container *c = NULL;
    double *m = NULL;
    int64_t n = 0;
    CHECK_OK(tsct_h5file_open(path, TSCT_OPEN_READ, &c, &err), &err);
    CHECK_OK(tsct_container_read_vector(c, "/entry/instrument/monitor/data", &m, &n, &err), &err);
    CHECK(n == 2 && m && m[0] == 1.5 && m[1] == 2.5);
    free(m);
    m = NULL;
    CHECK_OK(tsct_container_read_vector(c, "/entry/instrument/transmission/data", &m, &n, &err),
             &err);
    CHECK(n == 2 && m && m[0] == 0.75 && m[1] == 0.5);
    free(m);
    tsct_container_close(c, NULL);
    snprintf(path, sizeof path, "%s/no/such/folder/stack.h5", dir);
    CHECK_FAILS(tsct_frames_writer_create(path, 1, 4, 5, NULL, &w, &err), TSCT_ERR_IO, &err,
                "no/such/folder");
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", tsct_test_tmpdir(TSCT_TEST_TMP));
    test_writer();
    test_pilatus_run();
    return tsct_test_finish("test_sim_frames_run");
}
