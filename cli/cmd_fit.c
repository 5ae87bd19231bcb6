/* cmd_fit.c - `tsct fit peak`: single-peak (or few-peak) fits per voxel or per time step.
 *
 * Voxel mode is the fit stage (tsct_stage_fit, lib/stage/stage_fit.c): every voxel pattern
 * of /entry/recon (x = q) or /entry/pdf (x = r) inside a mask, into /entry/fits/NAME. Series
 * mode fits a [nt][nx] dataset (a region's pattern or PDF)
 * or text patterns, one fit per time step or file, into a CSV table.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/container.h"
#include "tsct/echem.h"
#include "tsct/fit.h"
#include "tsct/pattern.h"
#include "tsct/publish.h"

const char tsct_usage_fit[] =
    "usage: tsct fit peak EXP.h5 --window A:B --peak SPEC... --name NAME [options]\n"
    "       tsct fit peak --series INPUT... --window A:B --peak SPEC... [-o TABLE.csv]\n"
    "\n"
    "Fit peaks (Gaussian, Lorentzian or pseudo-Voigt; area, position, FWHM, eta) on a\n"
    "polynomial background in (x - window centre) over the window A..B by Levenberg-Marquardt\n"
    "(docs/fit.md). ESDs are sqrt(diag((J^T J)^-1)) scaled by the reduced chi2.\n"
    "\n"
    "Voxel mode: every voxel of /entry/recon (x = q, 1/A) or /entry/pdf (x = r, A) inside the\n"
    "mask is fitted; results go to /entry/fits/NAME/parameters and esd [nt][nz][ny][nx][k]\n"
    "(attribute 'parameters' names the k values), rwp, redchi2 and status [nt][nz][ny][nx]\n"
    "(0 converged, 1 converged with a parameter on a bound, 2 not converged, 3 failed; NaN\n"
    "outside the mask). Resumable: an interrupted run continues with the next voxel row.\n"
    "\n"
    "Series mode: each INPUT is FILE.h5::/path/to/dataset ([nt][nx], with its axis q or r\n"
    "beside it, e.g. /entry/regions/NAME/pdf) or a text pattern (.xy, .chi, .gr); one row per\n"
    "time step or file with every parameter, its ESD, redchi2, rwp and status (plus capacity\n"
    "and voltage when /entry/echem/tomogram_capacity and tomogram_voltage exist).\n"
    "\n"
    "Model:\n"
    "  -w, --window A:B          the fit window in x (required)\n"
    "  -p, --peak SPEC           a peak, repeatable (1..8): PROFILE[@POS][,NAME=VALUE]...\n"
    "                            PROFILE: g | gauss | l | lorentz | pv (pseudo-Voigt)\n"
    "                            NAME: area, position, fwhm, eta; VALUE: V (start),\n"
    "                            V:fixed, V:LO:HI (start and bounds), :LO:HI (bounds)\n"
    "                            e.g. --peak pv@2.31,fwhm=0.03,eta=0.5:fixed\n"
    "  -b, --background D        polynomial degree 0..3 (default 1), or none\n"
    "      --max-iter N          iterations at most (default 200)\n"
    "      --ftol F, --xtol F    MINPACK tolerances (default 1e-10 each)\n"
    "      --gtol F              (default 0: off)\n"
    "Voxel mode:\n"
    "  -n, --name NAME           /entry/fits/NAME (letters, digits, '_'; required)\n"
    "  -s, --source S            recon (default), pdf, or integrated (/entry/integrated: the\n"
    "                            patterns of tsct edxrd, x = their d or q axis)\n"
    "  -t, --threshold F         fit voxels whose total intensity (sum of /entry/recon over q)\n"
    "                            is >= F x the largest in the volume (default 0.05)\n"
    "  -m, --mask-map MAP        fit voxels where /entry/maps/MAP is > 0 instead\n"
    "      --maps LIST           also store these parameters (comma list, or all) as maps\n"
    "                            /entry/maps/NAME_PARAMETER, e.g. --maps position_1,area_1\n"
    "Series mode:\n"
    "      --series              the arguments are series inputs, not a container\n"
    "  -o, --output FILE         the CSV table (default: standard output)\n"
    "\n"
    "Examples:\n"
    "  tsct fit peak exp.h5 --window 2.2:2.45 --peak pv@2.31 --name bivo4 --maps position_1\n"
    "  tsct fit peak --series exp.h5::/entry/regions/core/pdf -w 2.8:3.4 -p g -o core.csv\n";

struct fit_opts {
    tsct_stage_fit_voxels_params p; /* the stage's options (lib/stage/stage_options.c) */
    tsct_fit_model model;           /* p.model */
    tsct_fit_params params;         /* p.fit with the threads, for series */
    int series;
    const char *output;
};

/* The command's own options: series mode and its table. */
static const tsct_stage_option own_options[] = {
    {"series", 0, TSCT_STAGE_OPTION_FLAG, 0, 0, "fit a [nt][nx] dataset or text patterns"},
    {NULL, 0, 0, 0, 0, NULL}};

static int on_own(tsct_cli *cli, void *data, const char *name, const char *value)
{
    (void)cli;
    struct fit_opts *o = data;
    if (strcmp(name, "series") == 0)
        o->series = 1;
    else
        o->output = value;
    return 0;
}

static int parse(tsct_cli *cli, int argc, char **argv, struct fit_opts *o)
{
    const tsct_stage_fit_voxels_params defaults = TSCT_STAGE_FIT_VOXELS_PARAMS_DEFAULT;
    memset(o, 0, sizeof *o);
    o->p = defaults;
    tsct_fit_model_init(&o->model, NAN, NAN);
    o->p.model = &o->model;
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_FIT, &o->p, own_options, on_own,
                                    o);
    if (rc)
        return rc;
    o->params = o->p.fit;
    o->params.nthreads = cli->nthreads;
    if (!isfinite(o->model.xmin))
        return tsct_cli_usage_error(cli, "missing --window A:B");
    if (o->model.npeaks == 0)
        return tsct_cli_usage_error(cli, "missing --peak (e.g. --peak pv@2.31)");
    if (o->series) {
        if (optind >= argc)
            return tsct_cli_usage_error(cli, "--series needs at least one INPUT");
        if (o->p.name || o->p.mask_map || o->p.maps)
            return tsct_cli_usage_error(cli, "--name, --mask-map and --maps are for voxel mode");
        return 0;
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing EXP.h5"
                                                        : "one container at a time");
    if ((rc = tsct_cli_stage_check(cli, TSCT_STAGE_ID_FIT, &o->p)))
        return rc;
    if (o->output)
        return tsct_cli_usage_error(cli, "-o is for --series tables");
    return 0;
}

/* ---- voxel mode: the fit stage ---------------------------------------------------------- */

static int run_voxels(tsct_cli *cli, const char *container, const struct fit_opts *o)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_cli_guard_file(container);
    if (tsct_stage_fit(container, &o->p, &ctx, NULL, &err) != TSCT_OK)
        return tsct_cli_fail(cli, &err);
    return TSCT_EXIT_OK;
}

/* ---- series mode ------------------------------------------------------------------------ */

struct table {
    FILE *f;
    int header_done, echem;
    char names[TSCT_FIT_MAX_PARAMS * 16];
};

/* One CSV row: index, source, [capacity, voltage,] p, p_esd ..., redchi2, rwp, status. */
static void table_row(struct table *tb, const tsct_fit_plan *plan, int64_t index,
                      const char *source, double cap, double volt, const tsct_fit_result *r)
{
    const int k = tsct_fit_plan_nparams(plan);
    if (!tb->header_done) {
        snprintf(tb->names, sizeof tb->names, "%s", tsct_fit_plan_names(plan));
        fprintf(tb->f, "index,source%s", tb->echem ? ",capacity,voltage" : "");
        const char *p = tb->names;
        for (int j = 0; j < k; j++) {
            int l = (int)strcspn(p, ",");
            fprintf(tb->f, ",%.*s,%.*s_esd", l, p, l, p);
            p += l + (p[l] == ',');
        }
        fprintf(tb->f, ",redchi2,rwp,status\n");
        tb->header_done = 1;
    }
    fprintf(tb->f, "%lld,%s", (long long)index, source);
    if (tb->echem)
        fprintf(tb->f, ",%.10g,%.10g", cap, volt);
    for (int j = 0; j < k; j++)
        fprintf(tb->f, ",%.10g,%.6g", r->p[j], r->esd[j]);
    fprintf(tb->f, ",%.6g,%.6g,%d\n", r->redchi2, r->rwp, (int)r->status);
}

/* Fit y[ny][nc] on the axis x[nc]; one table row per pattern. */
static tsct_status fit_rows(struct fit_opts *o, struct table *tb, const double *x, int64_t nc,
                            const double *y, int64_t ny, const char *source, int64_t index0,
                            const double *cap, const double *volt, const char *file,
                            tsct_error *err)
{
    tsct_fit_plan *plan = NULL;
    tsct_fit_workspace *ws = NULL;
    tsct_status st = tsct_fit_plan_create(&o->model, &o->params, x, nc, &plan, err);
    if (st != TSCT_OK)
        tsct_error_set_file(err, file);
    if (st == TSCT_OK)
        st = tsct_fit_workspace_create(plan, 1, &ws, err);
    if (st == TSCT_OK && tb->header_done && strcmp(tb->names, tsct_fit_plan_names(plan)) != 0)
        st = tsct_error_set(err, TSCT_ERR_INTERNAL, file, NULL, -1, "parameter layout changed");
    for (int64_t i = 0; st == TSCT_OK && i < ny; i++) {
        tsct_fit_result r;
        tsct_error ferr = TSCT_ERROR_INIT;
        tsct_fit_execute(plan, y + i * nc, NULL, ws, 0, &r, &ferr);
        table_row(tb, plan, index0 + i, source, cap ? cap[i] : NAN, volt ? volt[i] : NAN, &r);
    }
    tsct_fit_workspace_destroy(ws);
    tsct_fit_plan_destroy(plan);
    return st;
}

/* The axis beside an HDF5 dataset: the sibling q or r whose length is nc (both: r for
 * datasets named like a PDF - pdf, dpdf, G - q otherwise). */
static tsct_status sibling_axis(tsct_container *h, const char *file, const char *dset,
                                int64_t nc, double **x, tsct_error *err)
{
    char dir[512], cand[2][600];
    snprintf(dir, sizeof dir, "%s", dset);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : dir;
    int pdf_like = strstr(base, "pdf") != NULL || strcmp(base, "G") == 0;
    if (slash)
        slash[1] = '\0';
    else
        dir[0] = '\0';
    double *found[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        int64_t n = 0;
        snprintf(cand[i], sizeof cand[i], "%s%s", dir, i == 0 ? "q" : "r");
        if (tsct_container_exists(h, cand[i]) &&
            tsct_container_read_vector(h, cand[i], &found[i], &n, NULL) == TSCT_OK && n != nc) {
            free(found[i]);
            found[i] = NULL;
        }
    }
    int pick = found[0] && found[1] ? pdf_like : found[1] ? 1 : 0;
    *x = found[pick];
    free(found[1 - pick]);
    if (!*x)
        return tsct_error_set(err, TSCT_ERR_NOT_FOUND, file, dset, -1,
                              "no axis beside it: expected %s or %s with %lld values", cand[0],
                              cand[1], (long long)nc);
    return TSCT_OK;
}

static tsct_status series_h5(struct fit_opts *o, struct table *tb, const char *spec,
                             int64_t *index, tsct_error *err)
{
    char file[1024], dset[512];
    tsct_path_split(spec, file, sizeof file, dset, sizeof dset);
    tsct_container *h = NULL;
    tsct_dataset *d = NULL;
    double *x = NULL, *y = NULL, *cap = NULL, *volt = NULL;
    float *buf = NULL;
    int64_t shape[8], nt = 1, nc = 0;
    tsct_cli_guard_file(file);
    tsct_status st = tsct_h5file_open(file, TSCT_OPEN_READ, &h, err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(h, dset, &d, err);
    if (st == TSCT_OK) {
        int nd = tsct_dataset_shape(d, shape);
        if (nd == 2)
            nt = shape[0], nc = shape[1];
        else if (nd == 1)
            nc = shape[0];
        else
            st = tsct_error_set(err, TSCT_ERR_SHAPE, file, dset, -1,
                                "expected [nt][nx] or [nx], found rank %d", nd);
    }
    if (st == TSCT_OK)
        st = sibling_axis(h, file, dset, nc, &x, err);
    if (st == TSCT_OK) {
        buf = malloc((size_t)(nt * nc) * sizeof *buf);
        y = malloc((size_t)(nt * nc) * sizeof *y);
        if (!buf || !y)
            st = tsct_error_set(err, TSCT_ERR_NOMEM, file, dset, -1, "buffer");
    }
    if (st == TSCT_OK) {
        int64_t start[2] = {0, 0}, count[2] = {nt, nc};
        const int rank2 = tsct_dataset_shape(d, shape) == 2;
        st = tsct_dataset_read(d, start, rank2 ? count : count + 1, buf, err);
        for (int64_t i = 0; i < nt * nc; i++)
            y[i] = buf[i];
    }
    /* Electrochemistry per tomogram, when another step wrote it. */
    if (st == TSCT_OK && tsct_container_exists(h, TSCT_PATH_ECHEM)) {
        tsct_echem_stored soc;
        if (tsct_echem_stored_read(h, &soc, NULL) == TSCT_OK && soc.tomogram_capacity &&
            soc.tomogram_voltage && soc.nt == nt) {
            if (!tb->header_done)
                tb->echem = 1;
            cap = soc.tomogram_capacity, volt = soc.tomogram_voltage; /* now ours */
            soc.tomogram_capacity = soc.tomogram_voltage = NULL;
        }
        tsct_echem_stored_release(&soc);
    }
    if (st == TSCT_OK)
        st = fit_rows(o, tb, x, nc, y, nt, spec, *index, cap, volt, file, err);
    *index += nt;
    tsct_dataset_close(d);
    tsct_container_close(h, NULL);
    free(x), free(y), free(buf), free(cap), free(volt);
    return st;
}

static int run_series(tsct_cli *cli, struct fit_opts *o, int n, char **inputs)
{
    tsct_error err = TSCT_ERROR_INIT;
    tsct_publish pub;
    struct table tb = {stdout, 0, 0, ""};
    tsct_status st = TSCT_OK;
    if (o->output)
        st = tsct_publish_fopen(&pub, o->output, &tb.f, &err);
    int64_t index = 0;
    for (int i = 0; st == TSCT_OK && i < n; i++) {
        if (strstr(inputs[i], "::")) {
            st = series_h5(o, &tb, inputs[i], &index, &err);
        } else {
            double *x = NULL, *y = NULL;
            int64_t nc = 0;
            st = tsct_pattern_read_text(inputs[i], &x, &y, &nc, &err);
            if (st == TSCT_OK)
                st = fit_rows(o, &tb, x, nc, y, 1, inputs[i], index, NULL, NULL, inputs[i],
                              &err);
            index++;
            free(x), free(y);
        }
    }
    if (o->output) {
        if (st == TSCT_OK)
            st = tsct_publish_fclose(&pub, tb.f, &err);
        else if (tb.f) {
            fclose(tb.f);
            tsct_publish_abort(&pub);
        }
    } else {
        fflush(stdout);
    }
    if (st == TSCT_OK)
        tsct_log_msg(&cli->log, TSCT_LOG_INFO, "%lld fits%s%s", (long long)index,
                     o->output ? " written to " : "", o->output ? o->output : "");
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}

int tsct_cmd_fit(tsct_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "peak") != 0)
        return tsct_cli_usage_error(cli, argc < 2 ? "missing the kind of fit: tsct fit peak ..."
                                                  : "unknown kind of fit '%s' (expected peak)",
                                    argv[1]);
    struct fit_opts *o = calloc(1, sizeof *o);
    if (!o)
        return TSCT_EXIT_FAIL;
    int rc = parse(cli, argc - 1, argv + 1, o);
    if (!rc)
        rc = o->series ? run_series(cli, o, argc - 1 - optind, argv + 1 + optind)
                       : run_voxels(cli, argv[1 + optind], o);
    free(o);
    return rc;
}
