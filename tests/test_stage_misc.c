/* test_stage_misc.c - the stages of lib/stage that stand beside the pipeline (score, import,
 * pattern, debye) run through the library alone, on small containers made here, against exact
 * expectations; the files of pattern and debye also against the tsct program's (the same
 * bytes: a command is its stage's call).
 *
 * Each stage has its own test function; main() is the list of them.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsct/container.h"
#include "tsct/stage.h"
#include "tsct_test.h"

static void path_in(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", tsct_test_tmpdir(TSCT_TEST_TMP), name);
}

/* A whole dataset as float (malloc'd), its shape in shape[8] and rank in *ndim; NULL (a
 * failed check) if unreadable. */
static float *read_all(const char *path, const char *dset, int64_t *shape, int *ndim)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    tsct_dataset *d = NULL;
    float *v = NULL;
    int64_t start[8] = {0};
    *ndim = 0;
    if (tsct_container_open(path, TSCT_OPEN_READ, &c, &err) == TSCT_OK &&
        tsct_dataset_open(c, dset, &d, &err) == TSCT_OK) {
        *ndim = tsct_dataset_shape(d, shape);
        int64_t n = 1;
        for (int i = 0; i < *ndim; i++)
            n *= shape[i];
        v = malloc((size_t)n * sizeof *v);
        if (v && tsct_dataset_read(d, start, shape, v, &err) != TSCT_OK) {
            free(v);
            v = NULL;
        }
    }
    CHECK_MSG(v != NULL, "%s: %s", dset, err.message);
    tsct_dataset_close(d);
    tsct_container_close(c, NULL);
    return v;
}

/* A dataset of any shape written whole. */
static void write_all(tsct_container *c, const char *dset, int ndim, const int64_t *shape,
                      const float *v)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_dataset *d = NULL;
    int64_t start[8] = {0};
    CHECK_OK(tsct_dataset_create(c, dset, ndim, shape, NULL, &d, &err), &err);
    if (d)
        CHECK_OK(tsct_dataset_write(d, start, shape, v, &err), &err);
    tsct_dataset_close(d);
}

/* ---- score ------------------------------------------------------------------------------------
 * Ground truth [2][1][8][8][2], phases "air,P": P fills a 4 x 4 block at t = 0 and its upper
 * half (2 x 4) at t = 1. Map M [2][1][8][8] = 2 x P's fraction: unit 2, regions exactly the
 * blocks, Dice 1, coverage and amount 1 then 0.5. */

enum { SN = 8 };

static int in_block(int64_t t, int64_t y, int64_t x)
{
    return x >= 2 && x < 6 && y >= 2 && y < (t == 0 ? 6 : 4);
}

static void make_truth(const char *path)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    unlink(path);
    CHECK_OK(tsct_container_create(path, 1, &c, &err), &err);
    static float pf[2 * SN * SN * 2], map[2 * SN * SN];
    for (int64_t t = 0; t < 2; t++)
        for (int64_t y = 0; y < SN; y++)
            for (int64_t x = 0; x < SN; x++) {
                const float f = in_block(t, y, x) ? 1.0f : 0.0f;
                const int64_t v = (t * SN + y) * SN + x;
                pf[2 * v] = 1.0f - f;
                pf[2 * v + 1] = f;
                map[v] = 2.0f * f;
            }
    const int64_t gshape[5] = {2, 1, SN, SN, 2}, mshape[4] = {2, 1, SN, SN};
    write_all(c, "/ground_truth/phase_fraction", 5, gshape, pf);
    CHECK_OK(tsct_container_set_attr_string(c, "/ground_truth/phase_fraction", "phases",
                                            "air,P", &err), &err);
    write_all(c, TSCT_PATH_MAPS "/P", 4, mshape, map);
    write_all(c, TSCT_PATH_MAPS "/M", 4, mshape, map);
    CHECK_OK(tsct_container_close(c, &err), &err);
}

static void test_stage_score(void)
{
    char path[4096], csv[4096], txt[4096], bare[4096];
    path_in(path, sizeof path, "score.h5");
    path_in(csv, sizeof csv, "score.csv");
    path_in(txt, sizeof txt, "score.txt");
    path_in(bare, sizeof bare, "bare.h5");
    make_truth(path);
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_report rep;
    const char *expect =
        "phase,map,t,dice,predicted,true,coverage,true_coverage,dice_band,amount,true_amount\n"
        "P,%s,0,1.000000,16,16,1.000000,1.000000,1.000000,1.000000,1.000000\n"
        "P,%s,1,1.000000,8,8,0.500000,0.500000,1.000000,0.500000,0.500000\n";
    char want[1024];

    /* Every phase with a map of its name: P (no map is named air). */
    tsct_stage_score_params p = TSCT_STAGE_SCORE_PARAMS_DEFAULT;
    p.csv = fopen(csv, "w");
    p.table = fopen(txt, "w");
    CHECK_OK(tsct_stage_score(path, &p, NULL, &rep, &err), &err);
    fclose(p.csv);
    fclose(p.table);
    CHECK(rep.ran == 1 && rep.units == 1);
    snprintf(want, sizeof want, expect, "P", "P");
    tsct_test_check_text(csv, want);
    size_t size = 0;
    char *text = (char *)tsct_test_slurp(txt, &size);
    if (text)
        text[size] = '\0';
    CHECK_MSG(text && strstr(text, "# map unit") && strstr(text, " P 2 (rms 0.000)"),
              "text table:\n%s", text ? text : "(none)");
    free(text);

    /* A map of another name scored as P; the former rule gives the same regions here. */
    const char *phases[] = {"P"}, *maps[] = {"M"};
    p = (tsct_stage_score_params)TSCT_STAGE_SCORE_PARAMS_DEFAULT;
    p.phases = phases;
    p.maps = maps;
    p.n = 1;
    p.csv = fopen(csv, "w");
    CHECK_OK(tsct_stage_score(path, &p, NULL, &rep, &err), &err);
    fclose(p.csv);
    snprintf(want, sizeof want, expect, "M", "M");
    tsct_test_check_text(csv, want);
    p.threshold = 0.5;
    p.csv = fopen(csv, "w");
    CHECK_OK(tsct_stage_score(path, &p, NULL, &rep, &err), &err);
    fclose(p.csv);
    tsct_test_check_text(csv, want);
    p.csv = NULL;

    /* Errors. */
    const char *nophase[] = {"Q"};
    p = (tsct_stage_score_params)TSCT_STAGE_SCORE_PARAMS_DEFAULT;
    p.phases = nophase;
    p.n = 1;
    CHECK_FAILS(tsct_stage_score(path, &p, NULL, &rep, &err), TSCT_ERR_NOT_FOUND, &err,
                "not a phase of the ground truth");
    p = (tsct_stage_score_params)TSCT_STAGE_SCORE_PARAMS_DEFAULT;
    p.slice = 1;
    CHECK_FAILS(tsct_stage_score(path, &p, NULL, &rep, &err), TSCT_ERR_VALUE, &err,
                "1 slice(s)");
    p.slice = 0;
    p.truth = 1.5;
    CHECK_FAILS(tsct_stage_score(path, &p, NULL, &rep, &err), TSCT_ERR_VALUE, &err, "truth");
    tsct_container *c = NULL;
    unlink(bare);
    CHECK_OK(tsct_container_create(bare, 1, &c, &err), &err);
    CHECK_OK(tsct_container_close(c, &err), &err);
    CHECK_FAILS(tsct_stage_score(bare, NULL, NULL, &rep, &err), TSCT_ERR_NOT_FOUND, &err,
                "no ground truth");
}

/* ---- import -----------------------------------------------------------------------------------
 * An array [4][5][6] and its axis [6] in a plain HDF5 file: imported as recon [1][1][4][5][6]
 * into a new container, appended as time step 1, and the errors. */

static void test_stage_import(void)
{
    char src[4096], path[4096], spec[4200], axis[4200];
    path_in(src, sizeof src, "import_src.h5");
    path_in(path, sizeof path, "import.h5");
    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *c = NULL;
    unlink(src);
    unlink(path);
    CHECK_OK(tsct_container_create(src, 1, &c, &err), &err);
    static float v[4 * 5 * 6];
    for (int64_t i = 0; i < 4 * 5 * 6; i++)
        v[i] = (float)i * 0.5f - 3.0f;
    v[7] = NAN;
    double q[6] = {1, 2, 3, 4, 5, 6};
    const int64_t shape[3] = {4, 5, 6};
    write_all(c, "/patterns", 3, shape, v);
    CHECK_OK(tsct_container_write_vector(c, "/q", q, 6, "A^-1", &err), &err);
    CHECK_OK(tsct_container_write_vector(c, "/q5", q, 5, "A^-1", &err), &err);
    CHECK_OK(tsct_container_close(c, &err), &err);
    snprintf(spec, sizeof spec, "%s::/patterns", src);
    snprintf(axis, sizeof axis, "%s::/q", src);

    tsct_stage_import_params p = TSCT_STAGE_IMPORT_PARAMS_DEFAULT;
    p.source = spec;
    p.axis = axis;
    tsct_stage_report rep;
    CHECK_OK(tsct_stage_import(path, &p, NULL, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == 4);
    CHECK(strstr(rep.what, "[1][1][4][5][6]") && strstr(rep.what, TSCT_PATH_RECON));
    int64_t s[8] = {0};
    int nd = 0;
    float *got = read_all(path, TSCT_PATH_RECON, s, &nd);
    CHECK(nd == 5 && s[0] == 1 && s[1] == 1 && s[2] == 4 && s[3] == 5 && s[4] == 6);
    for (int64_t i = 0; got && i < 4 * 5 * 6; i++)
        CHECK_MSG(got[i] == v[i] || (isnan(got[i]) && isnan(v[i])), "value %lld",
                  (long long)i);
    free(got);
    float *gq = read_all(path, TSCT_PATH_RECON_Q, s, &nd);
    CHECK(nd == 1 && s[0] == 6 && gq && gq[5] == 6.0f);
    free(gq);

    /* Appended as time step 1 of the same stage. */
    p.axis = NULL;
    p.time = 1;
    CHECK_OK(tsct_stage_import(path, &p, NULL, &rep, &err), &err);
    got = read_all(path, TSCT_PATH_RECON, s, &nd);
    CHECK(nd == 5 && s[0] == 2 && got && got[4 * 5 * 6 + 1] == v[1]);
    free(got);

    /* Errors. */
    p = (tsct_stage_import_params)TSCT_STAGE_IMPORT_PARAMS_DEFAULT;
    p.source = src;
    CHECK_FAILS(tsct_stage_import(path, &p, NULL, &rep, &err), TSCT_ERR_VALUE, &err,
                "FILE.h5::/path");
    p.source = spec;
    p.target = TSCT_STAGE_IMPORT_PDF;
    snprintf(axis, sizeof axis, "%s::/q5", src);
    p.axis = axis;
    CHECK_FAILS(tsct_stage_import(path, &p, NULL, &rep, &err), TSCT_ERR_SHAPE, &err,
                "axis values");
    p.axis = NULL;
    p.deflate = 10;
    CHECK_FAILS(tsct_stage_import(path, &p, NULL, &rep, &err), TSCT_ERR_VALUE, &err, "deflate");
}

/* A whole text file (malloc'd, NUL-terminated), NULL if unreadable. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF) {
        if (n + 2 > cap) {
            char *b = realloc(buf, cap = cap ? 2 * cap : 4096);
            if (!b)
                break;
            buf = b;
        }
        buf[n++] = (char)ch;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* 1 when the tsct program (ctest's $TSCT) run with args writes the same bytes to `theirs` as
 * the stage wrote to `ours`. */
static int same_as_program(const char *args, const char *theirs, const char *ours)
{
    const char *tsct = getenv("TSCT");
    CHECK_MSG(tsct != NULL, "TSCT (the program) is not set: run through ctest");
    if (!tsct)
        return 0;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%.1024s' -q --threads 1 %.2048s -o '%.2048s' --force", tsct,
             args, theirs);
    CHECK_MSG(system(cmd) == 0, "%s", cmd);
    char *a = read_text(theirs), *b = read_text(ours);
    int same = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    return same;
}

/* tsct_stage_pattern and tsct_stage_debye: fcc Cu (a = 3.61496 A), the files as the commands
 * write them, the strongest peak at the 111 reflection, I(0) = (N f(0))^2 exactly, refusals. */
static void test_stage_powder(void)
{
    const char *cif = TSCT_TEST_DATA "/cif/Cu_COD9008468.cif";
    char ours[2048], theirs[2048], args[2048];
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_report rep;
    tsct_stage_ctx ctx = TSCT_STAGE_CTX_DEFAULT;
    ctx.nthreads = 1;

    tsct_stage_pattern_params p = TSCT_STAGE_PATTERN_PARAMS_DEFAULT;
    path_in(ours, sizeof ours, "cu.xy");
    p.cif = cif, p.wavelength = 0.5, p.qmin = 2.0, p.qmax = 5.0, p.output = ours;
    CHECK_OK(tsct_stage_pattern(&p, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == 3001 && strstr(rep.what, "wrote 3001 points"));
    path_in(theirs, sizeof theirs, "cu_cmd.xy");
    snprintf(args, sizeof args, "pattern '%s' --wavelength 0.5 --qmin 2 --qmax 5", cif);
    CHECK_MSG(same_as_program(args, theirs, ours), "pattern: %s differs from %s", ours, theirs);
    char *text = read_text(ours);
    CHECK(text && strncmp(text, "# tsct pattern ", 15) == 0);
    double x, y, xbest = 0, ybest = -1;
    int rows = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
        if (line[0] != '#' && sscanf(line, "%lf %lf", &x, &y) == 2 && ++rows && y > ybest)
            xbest = x, ybest = y;
    free(text);
    CHECK(rows == 3001);
    /* Q of 111 = 2 pi sqrt(3) / a; the grid's step is 0.001 */
    CHECK_NEAR(xbest, 2.0 * M_PI * sqrt(3.0) / 3.61496, 0.0006);

    path_in(ours, sizeof ours, "cu_peaks.txt");
    p.peaks = 1, p.output = ours;
    CHECK_OK(tsct_stage_pattern(&p, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == 3); /* 111, 200, 220: Q = 2 pi sqrt(h2 + k2 + l2) / a <= 5 */
    path_in(theirs, sizeof theirs, "cu_peaks_cmd.txt");
    snprintf(args, sizeof args, "pattern '%s' --wavelength 0.5 --qmin 2 --qmax 5 --peaks", cif);
    CHECK_MSG(same_as_program(args, theirs, ours), "peaks: %s differs from %s", ours, theirs);
    text = read_text(ours);
    CHECK(text && strstr(text, "\n   1    1    1    2.0870981 "));
    free(text);

    tsct_stage_debye_params d = TSCT_STAGE_DEBYE_PARAMS_DEFAULT;
    path_in(ours, sizeof ours, "cu.iq");
    d.cif = cif, d.radius = 6, d.qmax = 5, d.step = 0.5, d.output = ours;
    CHECK_OK(tsct_stage_debye(&d, &ctx, &rep, &err), &err);
    CHECK(rep.ran == 1 && rep.units == 11);
    path_in(theirs, sizeof theirs, "cu_cmd.iq");
    snprintf(args, sizeof args, "debye '%s' --radius 6 --qmax 5 --step 0.5", cif);
    CHECK_MSG(same_as_program(args, theirs, ours), "debye: %s differs from %s", ours, theirs);
    text = read_text(ours);
    char *row = text ? strstr(text, "\n0.00000000 ") : NULL;
    CHECK(row != NULL);
    /* Waasmaier-Kirfel Cu: f0(0) = sum a + c; 79 atoms within 6 A of an atom of fcc Cu */
    const double f0 = 14.014192 + 4.784577 + 5.056806 + 1.457971 + 6.932996 - 3.254477;
    if (row)
        CHECK_NEAR(strtod(row + 12, NULL) / ((79 * f0) * (79 * f0)), 1.0, 1e-11);
    free(text);

    /* refusals name the option; nothing is written */
    path_in(ours, sizeof ours, "never.xy");
    p = (tsct_stage_pattern_params)TSCT_STAGE_PATTERN_PARAMS_DEFAULT;
    p.cif = cif, p.qmax = 5, p.output = ours;
    CHECK_FAILS(tsct_stage_pattern(&p, &ctx, &rep, &err), TSCT_ERR_VALUE, &err,
                "give either --wavelength or --energy");
    p.energy = 24.8, p.step = 1e-9;
    CHECK_FAILS(tsct_stage_pattern(&p, &ctx, &rep, &err), TSCT_ERR_VALUE, &err,
                "grid points: use a larger --step");
    p.step = 0, p.qmax = 30;
    CHECK_FAILS(tsct_stage_pattern(&p, &ctx, &rep, &err), TSCT_ERR_VALUE, &err,
                "beyond 2theta = 180 degrees");
    CHECK(access(ours, F_OK) != 0);
    d.radius = 0;
    CHECK_FAILS(tsct_stage_debye(&d, &ctx, &rep, &err), TSCT_ERR_VALUE, &err, "missing --radius");
}

int main(void)
{
    test_stage_score();
    test_stage_import();
    test_stage_powder();
    return tsct_test_finish("test_stage_misc");
}
