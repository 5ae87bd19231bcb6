/* test_stage_options.c - the stages' option layer (include/tsct/stage.h, "options"): the
 * tables and tsct_stage_option_set / tsct_stage_options_check, which both the tsct commands
 * and `tsct run` use. Each value is checked against the params field it must set (exactly:
 * integers, enums, and numbers that round-trip through strtod), and each refusal against the
 * status and a message naming the option and the value.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tsct/ini.h"
#include "tsct/stage.h"
#include "tsct_test.h"

#define SET(id, p, k, v, e) tsct_stage_option_set(id, p, k, v, e)

/* Every table: names unique, in the program's spelling (lower case, digits, '-'), a help line;
 * every flag and value option of every stage reaches its setter. */
static void test_tables(void)
{
    for (int id = 0; id < TSCT_STAGE_ID_COUNT; id++) {
        const tsct_stage_option *t = tsct_stage_options((tsct_stage_id)id);
        CHECK(t != NULL);
        CHECK(tsct_stage_id_name((tsct_stage_id)id)[0] != '\0');
        int n = 0;
        for (const tsct_stage_option *o = t; o && o->name; o++, n++) {
            CHECK_MSG(strspn(o->name, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
                          strlen(o->name), "%s", o->name);
            CHECK_MSG(o->help && o->help[0], "%s has no help", o->name);
            CHECK(tsct_stage_option_find((tsct_stage_id)id, o->name) == o);
            for (const tsct_stage_option *q = t; q != o; q++)
                CHECK_MSG(strcmp(q->name, o->name) != 0, "%s twice", o->name);
        }
        CHECK_MSG(n > 0, "stage %d has no options", id);
    }
    CHECK(tsct_stage_options(TSCT_STAGE_ID_COUNT) == NULL);
    CHECK(strcmp(tsct_stage_id_name(TSCT_STAGE_ID_COUNT), "") == 0);
    CHECK(tsct_stage_option_find(TSCT_STAGE_ID_SINOGRAM, "nonsense") == NULL);
}

static void test_sinogram(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_sinogram_params p = TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT;
    const tsct_stage_id S = TSCT_STAGE_ID_SINOGRAM;
    CHECK_OK(SET(S, &p, "air", "4", &err), &err);
    CHECK(p.air == 4);
    CHECK_OK(SET(S, &p, "air-side", "last", &err), &err);
    CHECK(p.air_side == TSCT_STAGE_AIR_LAST);
    CHECK_OK(SET(S, &p, "zigzag", "no", &err), &err);
    CHECK(p.zigzag == TSCT_STAGE_ZIGZAG_NO);
    CHECK_OK(SET(S, &p, "normalise", "transmission", &err), &err);
    CHECK(p.normalise == TSCT_STAGE_NORMALISE_TRANSMISSION);
    CHECK_OK(SET(S, &p, "normalise", "mon.h5::/m", &err), &err);
    CHECK(p.normalise == TSCT_STAGE_NORMALISE_MONITOR && strcmp(p.monitor, "mon.h5::/m") == 0);
    CHECK_OK(SET(S, &p, "centre", "31.25", &err), &err);
    CHECK(p.centre == TSCT_STAGE_CENTRE_FIXED && p.centre_value == 31.25);
    CHECK_OK(SET(S, &p, "centre", "vo", &err), &err);
    CHECK(p.centre == TSCT_STAGE_CENTRE_VO);
    CHECK_OK(SET(S, &p, "com", NULL, &err), &err);
    CHECK_OK(SET(S, &p, "no-crop", "yes", &err), &err);
    CHECK(p.com == 1 && p.crop == 0);
    CHECK_OK(SET(S, &p, "bad-channels", "8", &err), &err);
    CHECK_OK(SET(S, &p, "deflate", "9", &err), &err);
    CHECK(p.bad_channels == 8.0 && p.deflate == 9);
    /* refusals name the option and the value, and leave the field as it was */
    CHECK_FAILS(SET(S, &p, "air", "x", &err), TSCT_ERR_VALUE, &err, "--air expects an integer");
    CHECK_FAILS(SET(S, &p, "air", "-1", &err), TSCT_ERR_VALUE, &err, "got '-1'");
    CHECK(p.air == 4);
    CHECK_FAILS(SET(S, &p, "deflate", "10", &err), TSCT_ERR_VALUE, &err, "0..9");
    CHECK_FAILS(SET(S, &p, "air-side", "middle", &err), TSCT_ERR_VALUE, &err,
                "--air-side expects both, first or last, got 'middle'");
    CHECK_FAILS(SET(S, &p, "centre", "-3", &err), TSCT_ERR_VALUE, &err, "--centre expects");
    CHECK_FAILS(SET(S, &p, "zingers", "nan", &err), TSCT_ERR_VALUE, &err, "--zingers");
    CHECK_FAILS(SET(S, &p, "com", "maybe", &err), TSCT_ERR_VALUE, &err,
                "--com is a flag: yes or no, got 'maybe'");
    CHECK_FAILS(SET(S, &p, "air", NULL, &err), TSCT_ERR_VALUE, &err, "--air needs a value");
    CHECK_FAILS(SET(S, &p, "windw", "1", &err), TSCT_ERR_VALUE, &err,
                "'tsct sinogram' has no option --windw");
    CHECK(strcmp(err.item, "") == 0); /* cleared by CHECK_FAILS */
    CHECK_FAILS(SET(S, &p, "bin-channels", "0", &err), TSCT_ERR_VALUE, &err, "1..1048576");
}

static void test_recon(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_recon_params p = TSCT_STAGE_RECON_PARAMS_DEFAULT;
    const tsct_stage_id R = TSCT_STAGE_ID_RECON;
    CHECK_OK(SET(R, &p, "method", "sirt", &err), &err);
    CHECK_OK(SET(R, &p, "iterations", "50", &err), &err);
    CHECK_OK(SET(R, &p, "filter", "hann", &err), &err);
    CHECK_OK(SET(R, &p, "no-circle", NULL, &err), &err);
    CHECK(p.method == TSCT_STAGE_RECON_SIRT && p.iterations == 50 && p.circle == 0);
    CHECK(p.filter == TSCT_TOMO_FBP_FILTER_HANN);
    CHECK_FAILS(SET(R, &p, "method", "art", &err), TSCT_ERR_VALUE, &err,
                "--method expects fbp, sirt or cgls, got 'art'");
    CHECK_FAILS(SET(R, &p, "filter", "box", &err), TSCT_ERR_VALUE, &err, "--filter:");
    CHECK_FAILS(SET(R, &p, "iterations", "0", &err), TSCT_ERR_VALUE, &err, "--iterations");
}

static void test_integrate(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_integrate_scan_params p = TSCT_STAGE_INTEGRATE_SCAN_PARAMS_DEFAULT;
    const tsct_stage_id I = TSCT_STAGE_ID_INTEGRATE;
    CHECK_OK(SET(I, &p, "poni", "d.poni", &err), &err);
    CHECK_OK(SET(I, &p, "npt", "600", &err), &err);
    CHECK_OK(SET(I, &p, "filter", "trimmed:5,75", &err), &err);
    CHECK_OK(SET(I, &p, "radial-range", "0.8 4.5", &err), &err);
    CHECK_OK(SET(I, &p, "azimuth-range", "-90,90", &err), &err);
    CHECK_OK(SET(I, &p, "angles", "31", &err), &err);
    CHECK_OK(SET(I, &p, "translations", "48", &err), &err);
    CHECK_OK(SET(I, &p, "slices", "2", &err), &err);
    CHECK_OK(SET(I, &p, "time-offset", "0", &err), &err);
    CHECK_OK(SET(I, &p, "angle-range", "360", &err), &err);
    CHECK_OK(SET(I, &p, "translation-step", "0.01", &err), &err);
    CHECK_OK(SET(I, &p, "zigzag", "true", &err), &err);
    CHECK_OK(SET(I, &p, "polarization", "0.99", &err), &err);
    CHECK_OK(SET(I, &p, "transmission-header", "Trans", &err), &err);
    CHECK(strcmp(p.poni, "d.poni") == 0 && p.integrate.npt == 600);
    CHECK(strcmp(p.filter, "trimmed:5,75") == 0);
    CHECK(p.integrate.radial_min == 0.8 && p.integrate.radial_max == 4.5);
    CHECK(p.integrate.azimuth_min == -90 && p.integrate.azimuth_max == 90);
    CHECK(p.angles == 31 && p.translations == 48 && p.slices == 2 && p.time_offset == 0);
    CHECK(p.angle_range == 360 && p.translation_step == 0.01 && p.zigzag == 1);
    CHECK(p.integrate.polarization == 0.99);
    CHECK(p.transmission_source == TSCT_STAGE_FRAME_VALUE_HEADER &&
          strcmp(p.transmission, "Trans") == 0);
    CHECK_OK(SET(I, &p, "monitor-dataset", "/entry/mon", &err), &err);
    CHECK(p.monitor_source == TSCT_STAGE_FRAME_VALUE_DATASET);
    CHECK_FAILS(SET(I, &p, "monitor-header", "Flux", &err), TSCT_ERR_VALUE, &err,
                "--monitor-dataset and --monitor-header exclude each other");
    CHECK_FAILS(SET(I, &p, "monitor-dataset", "entry/mon", &err), TSCT_ERR_VALUE, &err,
                "starting with '/'");
    CHECK_FAILS(SET(I, &p, "transmission-header", "a b", &err), TSCT_ERR_VALUE, &err,
                "one word");
    CHECK_FAILS(SET(I, &p, "radial-range", "0.8", &err), TSCT_ERR_VALUE, &err,
                "--radial-range expects two numbers A B");
    CHECK_FAILS(SET(I, &p, "radial-range", "1 2 3", &err), TSCT_ERR_VALUE, &err, "two numbers");
    CHECK_FAILS(SET(I, &p, "npt", "0", &err), TSCT_ERR_VALUE, &err, "--npt expects 1 ..");
    CHECK_FAILS(SET(I, &p, "angles", "0", &err), TSCT_ERR_VALUE, &err,
                "--angles expects a whole number >= 1, got '0'");
    CHECK_FAILS(SET(I, &p, "time-offset", "-1", &err), TSCT_ERR_VALUE, &err, ">= 0");
    CHECK_FAILS(SET(I, &p, "polarization", "2", &err), TSCT_ERR_VALUE, &err, "-1 .. 1");
    CHECK_FAILS(SET(I, &p, "unit", "furlong", &err), TSCT_ERR_VALUE, &err, "--unit:");
    CHECK_FAILS(SET(I, &p, "filter", "trimmed:90,10", &err), TSCT_ERR_VALUE, &err, "--filter:");
    CHECK_FAILS(SET(I, &p, "angle-range", "0", &err), TSCT_ERR_VALUE, &err, "> 0");

    /* The pipeline's record: versioned, structured, and changed by a setting that changes
     * the patterns, not by the frames of one call. */
    tsct_stage_frames fd;
    memset(&fd, 0, sizeof fd);
    snprintf(fd.pattern, sizeof fd.pattern, "frames_t%%04d.h5");
    snprintf(fd.dataset, sizeof fd.dataset, "/entry/data/data");
    tsct_stage_settings a, b;
    tsct_stage_settings_init(&a);
    tsct_stage_settings_init(&b);
    tsct_stage_pipeline_integrate_settings(&fd, &p, &a);
    CHECK(!a.failed && strncmp(a.text, "v=2 frames=frames_t%04d.h5 dataset=/entry/data/data",
                               51) == 0);
    CHECK(strstr(a.text, " filter=trimmed:5,75 ") && strstr(a.text, " scan=2x31x48 "));
    CHECK(strstr(a.text, " radial=0.80000000000000004,4.5 "));
    tsct_stage_integrate_scan_params q = p;
    q.time_offset = 3;
    tsct_stage_pipeline_integrate_settings(&fd, &q, &b);
    CHECK_MSG(strcmp(a.text, b.text) == 0, "%s\n%s", a.text, b.text);
    tsct_stage_settings_release(&b);
    tsct_stage_settings_init(&b);
    CHECK_OK(SET(I, &q, "filter", "trimmed:10,90", &err), &err);
    tsct_stage_pipeline_integrate_settings(&fd, &q, &b);
    CHECK(strcmp(a.text, b.text) != 0);
    tsct_stage_settings_release(&a);
    tsct_stage_settings_release(&b);
}

static void test_maps_and_regions(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_map_defs *defs = tsct_stage_map_defs_create();
    tsct_stage_map_params m = TSCT_STAGE_MAP_PARAMS_DEFAULT;
    const tsct_stage_id M = TSCT_STAGE_ID_MAP;
    CHECK_FAILS(tsct_stage_options_check(M, &m, &err), TSCT_ERR_VALUE, &err, "no map defined");
    CHECK_FAILS(SET(M, &m, "window", "A=1:2", &err), TSCT_ERR_VALUE, &err, "no definitions");
    m.definitions = defs;
    CHECK_OK(SET(M, &m, "window", "BiVO4=1.29:1.42", &err), &err);
    CHECK_OK(SET(M, &m, "total", "total", &err), &err);
    CHECK_OK(SET(M, &m, "normalize", "n=total", &err), &err);
    CHECK_OK(SET(M, &m, "unmix-background", "2", &err), &err);
    CHECK_OK(SET(M, &m, "wavelength", "0.2", &err), &err);
    CHECK(tsct_stage_map_defs_count(defs) == 3 && m.unmix_background == 2 &&
          m.wavelength == 0.2);
    CHECK(strstr(tsct_stage_map_defs_text(defs), "normalise") != NULL);
    CHECK_OK(tsct_stage_options_check(M, &m, &err), &err);
    CHECK_FAILS(SET(M, &m, "window", "bad", &err), TSCT_ERR_VALUE, &err, "--window bad:");
    CHECK_FAILS(SET(M, &m, "unmix-background", "3", &err), TSCT_ERR_VALUE, &err, "0, 1 or 2");
    char longdef[1100] = "a=xy:";
    for (int i = 0; i < 520; i++)
        strcat(longdef, "/x");
    CHECK_FAILS(SET(M, &m, "unmix", longdef, &err), TSCT_ERR_VALUE, &err, "...: ");
    CHECK_FAILS(SET(M, &m, "definitions", "/nonexistent/maps.txt", &err), TSCT_ERR_NOT_FOUND,
                &err, "cannot open the definitions file");
    /* a definitions file: lines added in order, a bad line named by number */
    char path[4096];
    snprintf(path, sizeof path, "%s/defs.txt", tsct_test_tmpdir(TSCT_TEST_TMP));
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("# maps\nBi = window 2.715 2.805\n\nratio_x = ratio Bi BiVO4\nbroken line\n", f);
        fclose(f);
    }
    CHECK_FAILS(SET(M, &m, "definitions", path, &err), TSCT_ERR_VALUE, &err, "[5]");
    CHECK(tsct_stage_map_defs_count(defs) == 5);
    tsct_stage_map_defs_destroy(defs);

    tsct_stage_region_params r = TSCT_STAGE_REGION_PARAMS_DEFAULT;
    const tsct_stage_id G = TSCT_STAGE_ID_REGION;
    CHECK_OK(SET(G, &r, "name", "core", &err), &err);
    CHECK_FAILS(tsct_stage_options_check(G, &r, &err), TSCT_ERR_VALUE, &err, "give one of");
    CHECK_OK(SET(G, &r, "circle", "1,-2,5.5", &err), &err);
    CHECK(r.kind == TSCT_STAGE_REGION_CIRCLE && r.dx == 1 && r.dy == -2 && r.radius == 5.5);
    CHECK_OK(tsct_stage_options_check(G, &r, &err), &err);
    CHECK_OK(SET(G, &r, "mask-map", "BiVO4", &err), &err);
    CHECK(r.kind == TSCT_STAGE_REGION_MAP);
    CHECK_FAILS(tsct_stage_options_check(G, &r, &err), TSCT_ERR_VALUE, &err, "give one of");
    CHECK_OK(SET(G, &r, "threshold", "0.3", &err), &err);
    CHECK(r.threshold.rule == TSCT_STAGE_THRESHOLD_PERCENTILE && r.threshold.fraction == 0.3);
    CHECK_OK(SET(G, &r, "threshold", "otsu", &err), &err);
    CHECK(r.threshold.rule == TSCT_STAGE_THRESHOLD_OTSU);
    CHECK_FAILS(SET(G, &r, "circle", "1,2,0", &err), TSCT_ERR_VALUE, &err, "R > 0");
    CHECK_FAILS(SET(G, &r, "circle", "1,2,3,4", &err), TSCT_ERR_VALUE, &err, "DX,DY,R");
    CHECK_FAILS(SET(G, &r, "mask-time", "-1", &err), TSCT_ERR_VALUE, &err, "--mask-time");
    r.name = "a/b";
    CHECK_FAILS(tsct_stage_options_check(G, &r, &err), TSCT_ERR_VALUE, &err, "--name expects");
}

static void test_tables_of_maps(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_coverage_params c = TSCT_STAGE_COVERAGE_PARAMS_DEFAULT;
    const tsct_stage_id C = TSCT_STAGE_ID_COVERAGE;
    CHECK_FAILS(tsct_stage_options_check(C, &c, &err), TSCT_ERR_VALUE, &err, "missing --map");
    CHECK_OK(SET(C, &c, "map", "Bi", &err), &err);
    CHECK_OK(SET(C, &c, "threshold", "pct:99:0.5", &err), &err);
    CHECK(c.threshold.rule == TSCT_STAGE_THRESHOLD_PERCENTILE && c.threshold.percentile == 99 &&
          c.threshold.fraction == 0.5);
    CHECK_OK(SET(C, &c, "threshold", "abs:3.5", &err), &err);
    CHECK(c.threshold.rule == TSCT_STAGE_THRESHOLD_ABSOLUTE && c.threshold.value == 3.5);
    CHECK_OK(SET(C, &c, "threshold-time", "max", &err), &err);
    CHECK_OK(SET(C, &c, "open", "2", &err), &err);
    CHECK_OK(SET(C, &c, "close", "3", &err), &err);
    CHECK_OK(SET(C, &c, "min-size", "4", &err), &err);
    CHECK_OK(SET(C, &c, "difference", "0", &err), &err);
    CHECK_OK(SET(C, &c, "masks", NULL, &err), &err);
    CHECK(c.threshold_time == -1 && c.open == 2 && c.close == 3 && c.min_size == 4 &&
          c.difference == 0 && c.masks == 1);
    CHECK_OK(tsct_stage_options_check(C, &c, &err), &err);
    CHECK_FAILS(SET(C, &c, "threshold", "abs:3x", &err), TSCT_ERR_VALUE, &err,
                "\"abs:3x\": expected otsu, abs:VALUE or pct:P[:FRACTION]");
    CHECK_FAILS(SET(C, &c, "threshold", "pct:101", &err), TSCT_ERR_VALUE, &err, "pct:P");
    CHECK_FAILS(SET(C, &c, "open", "-1", &err), TSCT_ERR_VALUE, &err, "--open expects");
    CHECK_FAILS(SET(C, &c, "output", "t.csv", &err), TSCT_ERR_UNSUPPORTED, &err,
                "the front end writes");
    const tsct_stage_option *o = tsct_stage_option_find(C, "output");
    CHECK(o && o->front && o->path && o->short_name == 'o');

    tsct_stage_particles_params p = TSCT_STAGE_PARTICLES_PARAMS_DEFAULT;
    const tsct_stage_id P = TSCT_STAGE_ID_PARTICLES;
    CHECK_OK(SET(P, &p, "map", "Bi", &err), &err);
    CHECK_OK(SET(P, &p, "min-size", "9", &err), &err);
    CHECK_OK(SET(P, &p, "shells", "3", &err), &err);
    CHECK_OK(SET(P, &p, "parameter", "pos", &err), &err);
    CHECK(p.min_size == 9 && p.shells == 3 && strcmp(p.parameter, "pos") == 0);
    CHECK_FAILS(SET(P, &p, "shells", "0", &err), TSCT_ERR_VALUE, &err,
                "--shells expects a count from 1, got '0'");
    CHECK_FAILS(SET(P, &p, "by-depth", "d.csv", &err), TSCT_ERR_UNSUPPORTED, &err, "front end");
}

static void test_echem(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_echem_params p = TSCT_STAGE_ECHEM_PARAMS_DEFAULT;
    const tsct_stage_id E = TSCT_STAGE_ID_ECHEM;
    CHECK_FAILS(tsct_stage_options_check(E, &p, &err), TSCT_ERR_VALUE, &err,
                "missing the potentiostat file");
    CHECK_OK(SET(E, &p, "file", "cell.mpt", &err), &err);
    CHECK_FAILS(tsct_stage_options_check(E, &p, &err), TSCT_ERR_VALUE, &err, "missing --mass");
    CHECK_OK(SET(E, &p, "mass", "1.5", &err), &err);
    CHECK_FAILS(tsct_stage_options_check(E, &p, &err), TSCT_ERR_VALUE, &err, "--period S");
    CHECK_OK(SET(E, &p, "period", "12000", &err), &err);
    CHECK_OK(SET(E, &p, "start", "0", &err), &err);
    CHECK_OK(SET(E, &p, "time-unit", "min", &err), &err);
    CHECK_OK(SET(E, &p, "voltage-col", "Ewe", &err), &err);
    CHECK(strcmp(p.file, "cell.mpt") == 0 && p.mass_mg == 1.5 && p.period == 12000 &&
          p.columns.time_scale == 60 && strcmp(p.columns.voltage, "Ewe") == 0);
    CHECK_OK(tsct_stage_options_check(E, &p, &err), &err);
    CHECK_FAILS(SET(E, &p, "period", "0", &err), TSCT_ERR_VALUE, &err,
                "--period expects a number > 0, got '0'");
    CHECK_FAILS(SET(E, &p, "start", "-1", &err), TSCT_ERR_VALUE, &err, ">= 0");
    CHECK_FAILS(SET(E, &p, "time-unit", "d", &err), TSCT_ERR_VALUE, &err, "s, min or h");
    CHECK(p.period == 12000 && p.columns.time_scale == 60);
}

static void test_fit(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_fit_model m;
    tsct_fit_model_init(&m, NAN, NAN);
    tsct_stage_fit_voxels_params p = TSCT_STAGE_FIT_VOXELS_PARAMS_DEFAULT;
    const tsct_stage_id F = TSCT_STAGE_ID_FIT;
    CHECK_FAILS(SET(F, &p, "peak", "g@1.36", &err), TSCT_ERR_VALUE, &err, "no model");
    p.model = &m;
    CHECK_FAILS(tsct_stage_options_check(F, &p, &err), TSCT_ERR_VALUE, &err, "missing --window");
    CHECK_OK(SET(F, &p, "peak", "g@1.36", &err), &err);   /* before the window: order is free */
    CHECK_OK(SET(F, &p, "window", "1.25:1.46", &err), &err);
    CHECK_OK(SET(F, &p, "peak", "pv@1.40,eta=0.5:fixed", &err), &err);
    CHECK_OK(SET(F, &p, "background", "none", &err), &err);
    CHECK(m.xmin == 1.25 && m.xmax == 1.46 && m.npeaks == 2 && m.bg_degree == -1);
    CHECK_FAILS(tsct_stage_options_check(F, &p, &err), TSCT_ERR_VALUE, &err, "missing --name");
    CHECK_OK(SET(F, &p, "name", "bivo4", &err), &err);
    CHECK_OK(SET(F, &p, "source", "pdf", &err), &err);
    CHECK_OK(SET(F, &p, "threshold", "0.1", &err), &err);
    CHECK_OK(SET(F, &p, "max-iter", "50", &err), &err);
    CHECK_OK(SET(F, &p, "xtol", "1e-9", &err), &err);
    CHECK_OK(SET(F, &p, "maps", "position_1", &err), &err);
    CHECK(p.source == TSCT_STAGE_FIT_SOURCE_PDF && p.threshold == 0.1 && p.fit.max_iter == 50 &&
          p.fit.xtol == 1e-9 && strcmp(p.maps, "position_1") == 0);
    CHECK_OK(tsct_stage_options_check(F, &p, &err), &err);
    CHECK_FAILS(SET(F, &p, "window", "2:1", &err), TSCT_ERR_VALUE, &err,
                "--window expects A:B with A < B, got '2:1'");
    CHECK_FAILS(SET(F, &p, "peak", "voigt@1", &err), TSCT_ERR_VALUE, &err, "--peak");
    CHECK_FAILS(SET(F, &p, "background", "4", &err), TSCT_ERR_VALUE, &err, "0..3 or none");
    CHECK_FAILS(SET(F, &p, "source", "sino", &err), TSCT_ERR_VALUE, &err, "recon, pdf or integrated");
    CHECK_FAILS(SET(F, &p, "gtol", "-1", &err), TSCT_ERR_VALUE, &err, "--gtol expects");
    CHECK(m.xmin == 1.25 && m.npeaks == 2);
    p.name = "bad name";
    CHECK_FAILS(tsct_stage_options_check(F, &p, &err), TSCT_ERR_VALUE, &err, "letters, digits");
}

/* A pipeline file's sections into params (tsct_stage_pipeline_section), as tsct run does. */
static void test_pipeline_sections(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    char dir[4096], name[4200], local[4200];
    snprintf(dir, sizeof dir, "%s/pipe", tsct_test_tmpdir(TSCT_TEST_TMP));
    tsct_test_tmpdir(dir);
    snprintf(name, sizeof name, "%s/pipeline.cfg", dir);
    snprintf(local, sizeof local, "%s/local.xy", dir);
    FILE *f = fopen(local, "w");
    if (f)
        fclose(f);
    static const char text[] =
        "[sinogram]\nenabled = yes\nair = 4\ncom = yes\nno-crop = no\nnormalise = total\n"
        "[integrate]\nradial-range = 0.8 4.5\nmask = m.edf\n"
        "[map]\nwindow = A=1:2\nwindow = B=2:3\nunmix = c=xy:local.xy\n"
        "unmix = d=cif:LiBi.cif:20\n"
        "[coverage]\nmap = A\noutput = cov.csv\n"
        "[region]\nname = r\ncirkle = 0,0,3\n"
        "[recon]\nnonneg = maybe\n"
        "[particles]\nshells = 0\n";
    tsct_ini ini;
    CHECK_OK(tsct_ini_parse(&ini, name, text, strlen(text), &err), &err);

    tsct_stage_pipeline_values v;
    memset(&v, 0, sizeof v);
    char line[1024] = "tsct sinogram X";
    tsct_stage_sinogram_params sp = TSCT_STAGE_SINOGRAM_PARAMS_DEFAULT;
    CHECK_OK(tsct_stage_pipeline_section(&ini, "sinogram", TSCT_STAGE_ID_SINOGRAM, &sp, &v, line,
                                         sizeof line, &err),
             &err);
    CHECK(sp.air == 4 && sp.com == 1 && sp.crop == 1 &&
          sp.normalise == TSCT_STAGE_NORMALISE_TOTAL);
    CHECK_MSG(strcmp(line, "tsct sinogram X --air 4 --com --normalise total") == 0, "%s", line);

    tsct_stage_integrate_scan_params ip = TSCT_STAGE_INTEGRATE_SCAN_PARAMS_DEFAULT;
    line[0] = '\0';
    CHECK_OK(tsct_stage_pipeline_section(&ini, "integrate", TSCT_STAGE_ID_INTEGRATE, &ip, &v,
                                         line, sizeof line, &err),
             &err);
    char want[8400];
    snprintf(want, sizeof want, "%s/m.edf", dir);
    CHECK(ip.integrate.radial_min == 0.8 && ip.integrate.radial_max == 4.5);
    CHECK_MSG(ip.mask && strcmp(ip.mask, want) == 0, "mask %s", ip.mask ? ip.mask : "(null)");

    tsct_stage_map_defs *defs = tsct_stage_map_defs_create();
    tsct_stage_map_params mp = TSCT_STAGE_MAP_PARAMS_DEFAULT;
    mp.definitions = defs;
    line[0] = '\0';
    CHECK_OK(tsct_stage_pipeline_section(&ini, "map", TSCT_STAGE_ID_MAP, &mp, &v, line,
                                         sizeof line, &err),
             &err);
    CHECK(tsct_stage_map_defs_count(defs) == 4);
    snprintf(want, sizeof want, " --unmix c=xy:%s --unmix d=cif:LiBi.cif:20", local);
    CHECK_MSG(strstr(line, want) != NULL, "a file beside the pipeline resolved, one that is not "
              "left to the structure folders: %s", line);
    tsct_stage_map_defs_destroy(defs);

    tsct_stage_coverage_params cp = TSCT_STAGE_COVERAGE_PARAMS_DEFAULT;
    line[0] = '\0';
    CHECK_OK(tsct_stage_pipeline_section(&ini, "coverage", TSCT_STAGE_ID_COVERAGE, &cp, &v, line,
                                         sizeof line, &err),
             &err);
    snprintf(want, sizeof want, "%s/cov.csv", dir);
    CHECK(cp.map && strcmp(cp.map, "A") == 0 && v.nfiles == 1);
    CHECK(tsct_stage_pipeline_file(&v, "output") &&
          strcmp(tsct_stage_pipeline_file(&v, "output"), want) == 0);
    CHECK(tsct_stage_pipeline_file(&v, "by-depth") == NULL);

    tsct_stage_region_params rp = TSCT_STAGE_REGION_PARAMS_DEFAULT;
    CHECK_FAILS(tsct_stage_pipeline_section(&ini, "region", TSCT_STAGE_ID_REGION, &rp, &v, line,
                                            sizeof line, &err),
                TSCT_ERR_VALUE, &err, "line 20: [region] cirkle: 'tsct region' has no option "
                                      "--cirkle");
    tsct_stage_recon_params cr = TSCT_STAGE_RECON_PARAMS_DEFAULT;
    CHECK_FAILS(tsct_stage_pipeline_section(&ini, "recon", TSCT_STAGE_ID_RECON, &cr, &v, line,
                                            sizeof line, &err),
                TSCT_ERR_VALUE, &err, "line 22: [recon] nonneg: --nonneg is a flag: yes or no, "
                                      "got 'maybe'");
    tsct_stage_particles_params pp = TSCT_STAGE_PARTICLES_PARAMS_DEFAULT;
    CHECK_FAILS(tsct_stage_pipeline_section(&ini, "particles", TSCT_STAGE_ID_PARTICLES, &pp, &v,
                                            line, sizeof line, &err),
                TSCT_ERR_VALUE, &err, "pipeline.cfg");
    tsct_stage_pipeline_values_release(&v);
    CHECK(v.n == 0 && v.nfiles == 0);
    tsct_ini_release(&ini);
}

/* tsct pattern and tsct debye: values into the fields, the rules between them. */
static void test_powder(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_pattern_params p = TSCT_STAGE_PATTERN_PARAMS_DEFAULT;
    const tsct_stage_id P = TSCT_STAGE_ID_PATTERN, D = TSCT_STAGE_ID_DEBYE;
    p.cif = "Cu.cif";
    CHECK_FAILS(tsct_stage_options_check(P, &p, &err), TSCT_ERR_VALUE, &err,
                "give either --wavelength or --energy");
    CHECK_OK(SET(P, &p, "energy", "24.8", &err), &err);
    CHECK_FAILS(tsct_stage_options_check(P, &p, &err), TSCT_ERR_VALUE, &err, "missing --qmax");
    CHECK_OK(SET(P, &p, "qmax", "5.5", &err), &err);
    CHECK_OK(SET(P, &p, "qmin", "0", &err), &err);
    CHECK_FAILS(tsct_stage_options_check(P, &p, &err), TSCT_ERR_VALUE, &err, "missing -o OUT.xy");
    CHECK_OK(SET(P, &p, "peaks", NULL, &err), &err);
    CHECK_OK(tsct_stage_options_check(P, &p, &err), &err);
    CHECK_OK(SET(P, &p, "two-theta", "yes", &err), &err);
    CHECK_OK(SET(P, &p, "polarization", NULL, &err), &err);
    CHECK_OK(SET(P, &p, "no-adp", NULL, &err), &err);
    CHECK_OK(SET(P, &p, "v", "-0.25", &err), &err);
    CHECK_OK(SET(P, &p, "eta", "0.125", &err), &err);
    CHECK_OK(SET(P, &p, "size", "50", &err), &err);
    CHECK(p.energy == 24.8 && p.qmax == 5.5 && p.peaks == 1 && p.axis == TSCT_POWDER_AXIS_2THETA &&
          p.polarization == TSCT_POWDER_POLARIZATION_UNPOLARIZED && p.apply_adp == 0 &&
          p.v == -0.25 && p.eta == 0.125 && p.size_nm == 50 && p.u == 0 && p.w == 1e-4);
    CHECK_FAILS(SET(P, &p, "wavelength", "abc", &err), TSCT_ERR_VALUE, &err,
                "--wavelength expects a number > 0, got 'abc'");
    CHECK_FAILS(SET(P, &p, "qmin", "-1", &err), TSCT_ERR_VALUE, &err,
                "--qmin expects a number >= 0, got '-1'");
    CHECK_FAILS(SET(P, &p, "u", "x", &err), TSCT_ERR_VALUE, &err, "--u expects a number, got 'x'");
    CHECK(p.wavelength == 0 && p.qmin == 0 && p.u == 0);
    CHECK_OK(SET(P, &p, "wavelength", "0.5", &err), &err);
    CHECK_FAILS(tsct_stage_options_check(P, &p, &err), TSCT_ERR_VALUE, &err, "give either");
    p.energy = 0, p.qmax = 30;
    /* 4 pi / 0.5 = 25.13 1/A: 2theta would pass 180 degrees */
    CHECK_FAILS(tsct_stage_options_check(P, &p, &err), TSCT_ERR_VALUE, &err,
                "--qmax 30 is beyond 2theta = 180 degrees");
    p.qmax = 5, p.peaks = 0, p.output = "x.xy", p.step = 1e-7;
    /* (2theta(5) - 0) / 1e-7 degrees: 2.3e8 points */
    CHECK_FAILS(tsct_stage_options_check(P, &p, &err), TSCT_ERR_VALUE, &err,
                "grid points: use a larger --step");
    p.step = 1e-6;
    CHECK_OK(tsct_stage_options_check(P, &p, &err), &err);

    tsct_stage_debye_params d = TSCT_STAGE_DEBYE_PARAMS_DEFAULT;
    d.cif = "Cu.cif";
    CHECK_FAILS(tsct_stage_options_check(D, &d, &err), TSCT_ERR_VALUE, &err, "missing --radius");
    CHECK_OK(SET(D, &d, "radius", "12.5", &err), &err);
    CHECK_OK(SET(D, &d, "shape", "cube", &err), &err);
    CHECK_OK(SET(D, &d, "centre", "0.25,0.5,-0.75", &err), &err);
    CHECK_OK(SET(D, &d, "bin", "0.002", &err), &err);
    CHECK_OK(SET(D, &d, "neutral", NULL, &err), &err);
    CHECK(d.radius == 12.5 && d.shape == TSCT_DEBYE_SHAPE_CUBE && d.centre[0] == 0.25 &&
          d.centre[1] == 0.5 && d.centre[2] == -0.75 && d.bin_width == 0.002 &&
          d.neutral_atoms == 1 && d.qmax == 25 && d.step == 0.01);
    CHECK_FAILS(tsct_stage_options_check(D, &d, &err), TSCT_ERR_VALUE, &err, "missing -o OUT.iq");
    CHECK_FAILS(SET(D, &d, "shape", "blob", &err), TSCT_ERR_VALUE, &err,
                "--shape must be sphere or cube, not 'blob'");
    CHECK_FAILS(SET(D, &d, "centre", "1,2", &err), TSCT_ERR_VALUE, &err, "--centre expects X,Y,Z");
    CHECK_FAILS(SET(D, &d, "centre", "1,2,nan", &err), TSCT_ERR_VALUE, &err, "got '1,2,nan'");
    CHECK(d.shape == TSCT_DEBYE_SHAPE_CUBE && d.centre[2] == -0.75);
    CHECK_OK(SET(D, &d, "output", "x.iq", &err), &err);
    CHECK_OK(SET(D, &d, "qmin", "30", &err), &err);
    CHECK_FAILS(tsct_stage_options_check(D, &d, &err), TSCT_ERR_VALUE, &err,
                "--qmin 30 must be below --qmax 25");
    d.qmin = 0, d.step = 1e-6; /* 25e6 + 1 points */
    CHECK_FAILS(tsct_stage_options_check(D, &d, &err), TSCT_ERR_VALUE, &err, "Q points");
}

/* tsct edxrd and tsct edxrd figure. */
static void test_edxrd(void)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_edxrd_params p = TSCT_STAGE_EDXRD_PARAMS_DEFAULT;
    const tsct_stage_id E = TSCT_STAGE_ID_EDXRD, F = TSCT_STAGE_ID_EDXRD_FIGURE;
    CHECK(p.bins == 700);
    CHECK_FAILS(tsct_stage_options_check(E, &p, &err), TSCT_ERR_VALUE, &err,
                "missing --calibration");
    CHECK_OK(SET(E, &p, "calibration", "0.5,0.0401,2e-8", &err), &err);
    CHECK_OK(SET(E, &p, "tth", "2.25", &err), &err);
    CHECK_FAILS(tsct_stage_options_check(E, &p, &err), TSCT_ERR_VALUE, &err, "missing --range");
    CHECK_OK(SET(E, &p, "range", "3.8:5.2", &err), &err);
    CHECK_OK(SET(E, &p, "beam", "0:160", &err), &err);
    CHECK_OK(SET(E, &p, "normalise", "smooth:5", &err), &err);
    CHECK_OK(SET(E, &p, "axis", "q", &err), &err);
    CHECK_OK(SET(E, &p, "no-deadtime", NULL, &err), &err);
    CHECK(p.calibration.degree == 2 && p.calibration.coef[0] == 0.5 &&
          p.calibration.coef[1] == 0.0401 && p.calibration.coef[2] == 2e-8 &&
          p.calibration.tth == 2.25 && p.min == 3.8 && p.max == 5.2 && p.beam_min == 0 &&
          p.beam_max == 160 && p.norm == TSCT_STAGE_EDXRD_NORM_SMOOTH && p.smooth_degree == 5 &&
          p.axis == TSCT_STAGE_EDXRD_AXIS_Q && p.deadtime == 0);
    CHECK_OK(tsct_stage_options_check(E, &p, &err), &err);
    CHECK_OK(SET(E, &p, "normalise", "incident:inc.mca", &err), &err);
    CHECK(p.norm == TSCT_STAGE_EDXRD_NORM_INCIDENT && strcmp(p.incident, "inc.mca") == 0);
    CHECK_FAILS(SET(E, &p, "calibration", "1,2,3,4,5", &err), TSCT_ERR_VALUE, &err,
                "--calibration expects C0,C1[,C2[,C3]] in keV, got '1,2,3,4,5'");
    CHECK_FAILS(SET(E, &p, "calibration", "1", &err), TSCT_ERR_VALUE, &err, "got '1'");
    CHECK_FAILS(SET(E, &p, "range", "5:3", &err), TSCT_ERR_VALUE, &err, "0 < A < B");
    CHECK_FAILS(SET(E, &p, "range", "0:3", &err), TSCT_ERR_VALUE, &err, "0 < A < B");
    CHECK_FAILS(SET(E, &p, "bins", "1", &err), TSCT_ERR_VALUE, &err, ">= 2, got '1'");
    CHECK_FAILS(SET(E, &p, "normalise", "smooth:9", &err), TSCT_ERR_VALUE, &err, "DEG 0..8");
    CHECK_FAILS(SET(E, &p, "tth", "180", &err), TSCT_ERR_VALUE, &err, "(0, 180)");
    CHECK(p.calibration.degree == 2 && p.min == 3.8 && p.bins == 700 && p.calibration.tth == 2.25);

    tsct_stage_edxrd_figure_params f = TSCT_STAGE_EDXRD_FIGURE_PARAMS_DEFAULT;
    CHECK_FAILS(tsct_stage_options_check(F, &f, &err), TSCT_ERR_VALUE, &err, "missing -o");
    CHECK_OK(SET(F, &f, "output", "f.png", &err), &err);
    CHECK_OK(SET(F, &f, "layer", "3", &err), &err);
    CHECK_OK(SET(F, &f, "range", "-1.5:2", &err), &err);
    CHECK(f.layer == 3 && f.have_range == 1 && f.range[0] == -1.5 && f.range[1] == 2);
    CHECK_OK(tsct_stage_options_check(F, &f, &err), &err);
    f.kind = TSCT_STAGE_EDXRD_FIGURE_FRONTS;
    CHECK_OK(SET(F, &f, "fit", "alpha", &err), &err);
    CHECK_FAILS(tsct_stage_options_check(F, &f, &err), TSCT_ERR_VALUE, &err,
                "fronts needs --fit NAME and --param P");
    CHECK_OK(SET(F, &f, "param", "position_1", &err), &err);
    CHECK_OK(tsct_stage_options_check(F, &f, &err), &err);
    CHECK_FAILS(SET(F, &f, "layer", "-1", &err), TSCT_ERR_VALUE, &err, "a layer >= 0, got '-1'");
    CHECK_FAILS(SET(F, &f, "bins", "4", &err), TSCT_ERR_VALUE, &err,
                "'tsct edxrd figure' has no option --bins");
}

int main(void)
{
    test_tables();
    test_sinogram();
    test_recon();
    test_integrate();
    test_maps_and_regions();
    test_tables_of_maps();
    test_echem();
    test_fit();
    test_powder();
    test_edxrd();
    test_pipeline_sections();
    return tsct_test_finish("test_stage_options");
}
