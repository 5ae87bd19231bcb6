/* cmd_fit.c - `tsct fit peak`: single-peak (or few-peak) fits per voxel or per time step.
 *
 * Voxel mode fits every voxel pattern of /entry/recon (x = q) or /entry/pdf (x = r) inside a
 * mask, one voxel row at a time (read a row [nx][nc], fit its voxels in parallel through
 * tsct_fit_execute_many, write the rows of the results) inside a resumable step, and publishes
 * /entry/fits/NAME/{parameters,esd,rwp,redchi2,status} (and, with --maps, plain maps of chosen
 * parameters in /entry/maps). Series mode fits a [nt][nx] dataset (a region's pattern or PDF)
 * or text patterns, one fit per time step or file, into a CSV table.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/container.h"
#include "tsct/echem.h"
#include "tsct/fit.h"
#include "tsct/maps.h"
#include "tsct/pattern.h"
#include "tsct/publish.h"
#include "tsct/threads.h"

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
    "  -s, --source S            recon (default) or pdf\n"
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
    double xmin, xmax;
    int have_window, series, nthreads;
    const char *name, *source, *mask_map, *maps, *output;
    double threshold;
    tsct_fit_model model;
    tsct_fit_params params;
};

static int parse(tsct_cli *cli, int argc, char **argv, struct fit_opts *o)
{
    enum { O_MAXITER = 256, O_FTOL, O_XTOL, O_GTOL, O_MAPS, O_SERIES };
    static const struct option longopts[] = {
        {"window", required_argument, NULL, 'w'},     {"peak", required_argument, NULL, 'p'},
        {"background", required_argument, NULL, 'b'}, {"name", required_argument, NULL, 'n'},
        {"source", required_argument, NULL, 's'},     {"threshold", required_argument, NULL, 't'},
        {"mask-map", required_argument, NULL, 'm'},   {"output", required_argument, NULL, 'o'},
        {"max-iter", required_argument, NULL, O_MAXITER},
        {"ftol", required_argument, NULL, O_FTOL},    {"xtol", required_argument, NULL, O_XTOL},
        {"gtol", required_argument, NULL, O_GTOL},    {"maps", required_argument, NULL, O_MAPS},
        {"series", no_argument, NULL, O_SERIES},      {NULL, 0, NULL, 0},
    };
    const tsct_fit_params defaults = TSCT_FIT_PARAMS_DEFAULT;
    memset(o, 0, sizeof *o);
    o->params = defaults;
    o->params.nthreads = cli->nthreads;
    o->source = "recon";
    o->threshold = 0.05;
    const char *peaks[TSCT_FIT_MAX_PEAKS + 1];
    int npeaks = 0, bg = 1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":w:p:b:n:s:t:m:o:", longopts, NULL)) != -1) {
        double v;
        int64_t iv;
        switch (ch) {
        case 'w': {
            char *colon = strchr(optarg, ':');
            char a[64], b[64];
            if (!colon || colon - optarg >= 64 || strlen(colon + 1) >= 64)
                return tsct_cli_usage_error(cli, "--window expects A:B, got '%s'", optarg);
            snprintf(a, sizeof a, "%.*s", (int)(colon - optarg), optarg);
            snprintf(b, sizeof b, "%s", colon + 1);
            if (tsct_cli_parse_double(a, &o->xmin) || tsct_cli_parse_double(b, &o->xmax) ||
                !(o->xmin < o->xmax))
                return tsct_cli_usage_error(cli, "--window expects A:B with A < B, got '%s'",
                                            optarg);
            o->have_window = 1;
            break;
        }
        case 'p':
            if (npeaks == TSCT_FIT_MAX_PEAKS)
                return tsct_cli_usage_error(cli, "at most %d peaks", TSCT_FIT_MAX_PEAKS);
            peaks[npeaks++] = optarg;
            break;
        case 'b':
            if (strcmp(optarg, "none") == 0)
                bg = -1;
            else if (tsct_cli_parse_int64(optarg, &iv) || iv < 0 || iv > TSCT_FIT_MAX_BG_DEGREE)
                return tsct_cli_usage_error(cli, "--background expects 0..3 or none, got '%s'",
                                            optarg);
            else
                bg = (int)iv;
            break;
        case 'n': o->name = optarg; break;
        case 's':
            if (strcmp(optarg, "recon") && strcmp(optarg, "pdf"))
                return tsct_cli_usage_error(cli, "--source expects recon or pdf, got '%s'",
                                            optarg);
            o->source = optarg;
            break;
        case 't':
            if (tsct_cli_parse_double(optarg, &o->threshold) || o->threshold < 0 ||
                o->threshold > 1)
                return tsct_cli_usage_error(cli, "--threshold expects a fraction 0..1, got '%s'",
                                            optarg);
            break;
        case 'm': o->mask_map = optarg; break;
        case 'o': o->output = optarg; break;
        case O_MAPS: o->maps = optarg; break;
        case O_SERIES: o->series = 1; break;
        case O_MAXITER:
            if (tsct_cli_parse_int64(optarg, &iv) || iv < 1 || iv > 1000000)
                return tsct_cli_usage_error(cli, "--max-iter expects 1..1000000, got '%s'",
                                            optarg);
            o->params.max_iter = (int)iv;
            break;
        case O_FTOL:
        case O_XTOL:
        case O_GTOL:
            if (tsct_cli_parse_double(optarg, &v) || v < 0)
                return tsct_cli_usage_error(cli, "%s expects a number >= 0, got '%s'",
                                            tsct_cli_option_name(argv, optind, optarg), optarg);
            *(ch == O_FTOL ? &o->params.ftol : ch == O_XTOL ? &o->params.xtol
                                                            : &o->params.gtol) = v;
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!o->have_window)
        return tsct_cli_usage_error(cli, "missing --window A:B");
    if (npeaks == 0)
        return tsct_cli_usage_error(cli, "missing --peak (e.g. --peak pv@2.31)");
    tsct_fit_model_init(&o->model, o->xmin, o->xmax);
    o->model.bg_degree = bg;
    for (int i = 0; i < npeaks; i++) {
        tsct_error err = TSCT_ERROR_INIT;
        if (tsct_fit_model_add_peak(&o->model, peaks[i], &err) != TSCT_OK)
            return tsct_cli_usage_error(cli, "--peak %s", err.message);
    }
    if (o->series) {
        if (optind >= argc)
            return tsct_cli_usage_error(cli, "--series needs at least one INPUT");
        if (o->name || o->mask_map || o->maps)
            return tsct_cli_usage_error(cli, "--name, --mask-map and --maps are for voxel mode");
        return 0;
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing EXP.h5"
                                                        : "one container at a time");
    if (!o->name)
        return tsct_cli_usage_error(cli, "missing --name NAME");
    if (!*o->name || strlen(o->name) > 48)
        return tsct_cli_usage_error(cli, "--name must be 1..48 characters");
    for (const char *c = o->name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_')
            return tsct_cli_usage_error(cli, "--name may hold letters, digits and '_', got '%s'",
                                        o->name);
    if (o->output)
        return tsct_cli_usage_error(cli, "-o is for --series tables");
    return 0;
}

/* Index of name in the comma list `names`, or -1. */
static int name_index(const char *names, const char *name, size_t len)
{
    int i = 0;
    for (const char *p = names; *p; i++) {
        size_t l = strcspn(p, ",");
        if (l == len && strncmp(p, name, len) == 0)
            return i;
        p += l + (p[l] == ',');
    }
    return -1;
}

/* ---- voxel mode ------------------------------------------------------------------------- */

#define FIT_OUT_FIXED 5  /* parameters, esd, rwp, redchi2, status */

struct voxel_run {
    tsct_container *c;
    tsct_dataset *src, *recon, *mask;
    tsct_dataset *out[FIT_OUT_FIXED + TSCT_FIT_MAX_PARAMS];
    int map_param[TSCT_FIT_MAX_PARAMS], nmaps;
    int64_t shape[8], mshape[8];
    tsct_map_plan *total;   /* `tsct map --total`: the sum of /entry/recon over q */
    int64_t nq;             /* channels of /entry/recon */
    int64_t win_first, win_n;  /* the fit window's channels */
    float *row, *trow, *mrow, *par, *esd, *rwp, *rc, *stat, *mapbuf;
    uint8_t *vmask;
};

/* The totals of voxel row (t, z, y) of /entry/recon into v->mrow (v->row already holds it when
 * recon is the source). */
static tsct_status row_totals(struct voxel_run *v, const int64_t *lead, tsct_error *err)
{
    const float *r = v->row;
    if (v->recon != v->src) {
        TSCT_TRY(tsct_dataset_read_row(v->recon, lead, v->trow, err));
        r = v->trow;
    }
    tsct_map_plan_apply(v->total, r, v->shape[3], v->nq, 1, v->mrow);
    return TSCT_OK;
}

/* The largest total intensity of a voxel in the volume. */
static tsct_status max_total(struct voxel_run *v, double *out, tsct_error *err)
{
    double m = 0;
    for (int64_t r = 0; r < v->shape[0] * v->shape[1] * v->shape[2]; r++) {
        int64_t lead[3] = {r / (v->shape[1] * v->shape[2]), r / v->shape[2] % v->shape[1],
                           r % v->shape[2]};
        if (v->recon == v->src)
            TSCT_TRY(tsct_dataset_read_row(v->src, lead, v->row, err));
        TSCT_TRY(row_totals(v, lead, err));
        for (int64_t x = 0; x < v->shape[3]; x++)
            if (isfinite(v->mrow[x]) && v->mrow[x] > m)
                m = v->mrow[x];
    }
    *out = m;
    return TSCT_OK;
}

/* The mask of voxel row (t, z, y) into vmask[nx] (v->row holds the source row); the count of
 * set voxels in *n. */
static tsct_status row_mask(struct voxel_run *v, const int64_t *lead, double cut,
                            int64_t *n, tsct_error *err)
{
    const int64_t nx = v->shape[3];
    if (v->mask) {
        int64_t ml[3] = {v->mshape[0] == 1 ? 0 : lead[0], lead[1], lead[2]};
        TSCT_TRY(tsct_dataset_read_row(v->mask, ml, v->mrow, err));
        for (int64_t x = 0; x < nx; x++)
            v->vmask[x] = isfinite(v->mrow[x]) && v->mrow[x] > 0;
    } else if (v->recon) {
        TSCT_TRY(row_totals(v, lead, err));
        for (int64_t x = 0; x < nx; x++)
            v->vmask[x] = isfinite(v->mrow[x]) && v->mrow[x] > 0 && v->mrow[x] >= cut;
    } else {
        /* No intensity to threshold (a PDF without /entry/recon): voxels with finite data in
         * the window. */
        for (int64_t x = 0; x < nx; x++) {
            const float *w = v->row + x * v->shape[4] + v->win_first;
            v->vmask[x] = 1;
            for (int64_t i = 0; i < v->win_n; i++)
                v->vmask[x] &= isfinite(w[i]) != 0;
        }
    }
    *n = 0;
    for (int64_t x = 0; x < nx; x++)
        *n += v->vmask[x];
    return TSCT_OK;
}

static int run_voxels(tsct_cli *cli, const char *path, struct fit_opts *o)
{
    tsct_error err = TSCT_ERROR_INIT;
    struct voxel_run v;
    memset(&v, 0, sizeof v);
    tsct_step *step = NULL;
    tsct_fit_plan *plan = NULL;
    tsct_fit_workspace *ws = NULL;
    double *xaxis = NULL;
    int64_t nc = 0, counts[4] = {0}, total_counts[4] = {0};
    const int pdf = strcmp(o->source, "pdf") == 0;
    const char *src_path = pdf ? TSCT_PATH_PDF : TSCT_PATH_RECON;
    const char *axis_path = pdf ? TSCT_PATH_PDF_R : TSCT_PATH_RECON_Q;
    char mask_text[512] = "", fingerprint[6144], dpath[256], *stamps = NULL;
    tsct_cli_guard_file(path);
    tsct_status st = tsct_container_open(path, TSCT_OPEN_WRITE, &v.c, &err);
    if (st == TSCT_OK)
        st = tsct_dataset_open(v.c, src_path, &v.src, &err);
    if (st == TSCT_OK)
        st = tsct_container_read_vector(v.c, axis_path, &xaxis, &nc, &err);
    if (st == TSCT_OK && (tsct_dataset_shape(v.src, v.shape) != 5 || v.shape[4] != nc))
        st = tsct_error_set(&err, TSCT_ERR_SHAPE, path, src_path, -1,
                            "expected [nt][nz][ny][nx][%lld] (the length of %s)", (long long)nc,
                            axis_path);
    if (st == TSCT_OK) {
        st = tsct_fit_plan_create(&o->model, &o->params, xaxis, nc, &plan, &err);
        if (st != TSCT_OK)
            tsct_error_set_file(&err, path);
    }
    const int64_t nt = v.shape[0], nz = v.shape[1], ny = v.shape[2], nx = v.shape[3];
    const int k = plan ? tsct_fit_plan_nparams(plan) : 0;
    if (plan)
        tsct_fit_plan_window(plan, &v.win_first, &v.win_n);
    /* One workspace slot for every thread the plan may use. */
    if (st == TSCT_OK)
        st = tsct_fit_workspace_create(plan, tsct_threads_resolve(o->params.nthreads), &ws, &err);
    /* Which parameters become maps. */
    if (st == TSCT_OK && o->maps) {
        const char *names = tsct_fit_plan_names(plan);
        if (strcmp(o->maps, "all") == 0) {
            for (int j = 0; j < k; j++)
                v.map_param[v.nmaps++] = j;
        } else {
            for (const char *p = o->maps; *p && st == TSCT_OK;) {
                size_t l = strcspn(p, ",");
                int j = name_index(names, p, l);
                if (j < 0)
                    st = tsct_error_set(&err, TSCT_ERR_VALUE, NULL, "--maps", -1,
                                        "no parameter \"%.*s\": the model has %s", (int)l, p,
                                        names);
                else if (v.nmaps < TSCT_FIT_MAX_PARAMS)
                    v.map_param[v.nmaps++] = j;
                p += l + (p[l] == ',');
            }
        }
    }
    /* The mask: a map, or the total intensity of /entry/recon against the largest. */
    double cut = 0;
    if (st == TSCT_OK && o->mask_map) {
        snprintf(dpath, sizeof dpath, "%s/%s", TSCT_PATH_MAPS, o->mask_map);
        st = tsct_dataset_open(v.c, dpath, &v.mask, &err);
        if (st == TSCT_OK && (tsct_dataset_shape(v.mask, v.mshape) != 4 ||
                              (v.mshape[0] != nt && v.mshape[0] != 1) || v.mshape[1] != nz ||
                              v.mshape[2] != ny || v.mshape[3] != nx))
            st = tsct_error_set(&err, TSCT_ERR_SHAPE, path, dpath, -1,
                                "the mask map must be [nt or 1][%lld][%lld][%lld] like %s",
                                (long long)nz, (long long)ny, (long long)nx, src_path);
        snprintf(mask_text, sizeof mask_text, "voxels where %s > 0", dpath);
    } else if (st == TSCT_OK) {
        if (!pdf)
            v.recon = v.src;
        else if (tsct_container_exists(v.c, TSCT_PATH_RECON)) {
            int64_t rs[8];
            st = tsct_dataset_open(v.c, TSCT_PATH_RECON, &v.recon, &err);
            if (st == TSCT_OK && (tsct_dataset_shape(v.recon, rs) != 5 || rs[0] != nt ||
                                  rs[1] != nz || rs[2] != ny || rs[3] != nx))
                st = tsct_error_set(&err, TSCT_ERR_SHAPE, path, TSCT_PATH_RECON, -1,
                                    "voxel grid differs from %s", src_path);
        }
    }
    /* The total-intensity map of `tsct map --total` on /entry/recon's q axis. */
    double *qaxis = NULL;
    if (st == TSCT_OK && v.recon) {
        tsct_map_def def;
        memset(&def, 0, sizeof def);
        snprintf(def.name, sizeof def.name, "total");
        def.kind = TSCT_MAP_TOTAL;
        if (v.recon == v.src) {
            v.nq = nc;
            st = tsct_map_plan_create(&def, xaxis, nc, &v.total, &err);
        } else {
            int64_t rs[8];
            tsct_dataset_shape(v.recon, rs);
            st = tsct_container_read_vector(v.c, TSCT_PATH_RECON_Q, &qaxis, &v.nq, &err);
            if (st == TSCT_OK && v.nq != rs[4])
                st = tsct_error_set(&err, TSCT_ERR_SHAPE, path, TSCT_PATH_RECON_Q, -1,
                                    "%lld q values for %lld channels", (long long)v.nq,
                                    (long long)rs[4]);
            if (st == TSCT_OK)
                st = tsct_map_plan_create(&def, qaxis, v.nq, &v.total, &err);
        }
        free(qaxis);
    }
    const int64_t width = v.nq > 0 ? v.nq : 1;
    if (st == TSCT_OK) {
        v.row = malloc((size_t)(nx * nc) * sizeof *v.row);
        v.trow = malloc((size_t)(nx * width) * sizeof *v.trow);
        v.mrow = malloc((size_t)nx * sizeof *v.mrow);
        v.vmask = malloc((size_t)nx);
        v.par = malloc((size_t)(nx * k) * sizeof *v.par);
        v.esd = malloc((size_t)(nx * k) * sizeof *v.esd);
        v.rwp = malloc((size_t)nx * 4 * sizeof *v.rwp);
        if (!v.row || !v.trow || !v.mrow || !v.vmask || !v.par || !v.esd || !v.rwp)
            st = tsct_error_set(&err, TSCT_ERR_NOMEM, path, NULL, -1, "row buffers");
        else
            v.rc = v.rwp + nx, v.stat = v.rwp + 2 * nx, v.mapbuf = v.rwp + 3 * nx;
    }
    if (st == TSCT_OK && !v.mask && v.recon) {
        double vmax = 0;
        st = max_total(&v, &vmax, &err);
        cut = o->threshold * vmax;
        snprintf(mask_text, sizeof mask_text,
                 "voxels whose total intensity (sum of /entry/recon/data over q) is >= %g x the "
                 "largest (%.6g)", o->threshold, vmax);
    } else if (st == TSCT_OK && !v.mask) {
        snprintf(mask_text, sizeof mask_text, "every voxel with finite data in the window");
    }
    /* An empty mask is an error before any work. */
    int64_t nmask = 0;
    for (int64_t r = 0; st == TSCT_OK && r < nt * nz * ny && nmask == 0; r++) {
        int64_t lead[3] = {r / (nz * ny), r / ny % nz, r % ny}, n = 0;
        if (!v.mask && (v.recon == v.src || !v.recon))
            st = tsct_dataset_read_row(v.src, lead, v.row, &err);
        if (st == TSCT_OK)
            st = row_mask(&v, lead, cut, &n, &err);
        nmask += n;
    }
    if (st == TSCT_OK && nmask == 0)
        st = tsct_error_set(&err, TSCT_ERR_VALUE, path, o->mask_map ? dpath : "mask", -1,
                            "the mask is empty: no voxel of %s", mask_text);

    int64_t t0 = 0; /* time steps before t0 are kept (tsct run, new tomograms) */
    if (st == TSCT_OK) {
        char settings[4096];
        snprintf(settings, sizeof settings,
                 "source=%s shape=%lldx%lldx%lldx%lld mask=%s cut=%.17g maps=%s model=%s",
                 src_path, (long long)nz, (long long)ny, (long long)nx, (long long)nc,
                 mask_text, cut, o->maps ? o->maps : "", tsct_fit_plan_describe(plan));
        snprintf(fingerprint, sizeof fingerprint, "nt=%lld %s", (long long)nt, settings);
        char stepname[64], first[300];
        snprintf(stepname, sizeof stepname, "fit_%s", o->name);
        for (char *p = stepname; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        /* What the fits read: the data, and the recon or map the mask comes from. */
        const char *inputs[3] = {src_path, NULL, NULL};
        if (v.mask)
            inputs[1] = dpath;
        else if (v.recon && v.recon != v.src)
            inputs[1] = TSCT_PATH_RECON;
        snprintf(first, sizeof first, "%s/%s/parameters", TSCT_PATH_FITS, o->name);
        t0 = tsct_cli_keep_time_steps(cli, v.c, stepname, settings, inputs, first, nt, &stamps,
                                      fingerprint, sizeof fingerprint);
        if (t0 == nt)
            goto done;
        tsct_step_info info = {stepname, cli->command_line, tsct_fit_plan_describe(plan),
                               fingerprint, (nt - t0) * nz * ny, settings, stamps, t0};
        st = tsct_step_begin(v.c, &info, &cli->log, &step, &err);
    }
    static const char *const out_names[FIT_OUT_FIXED] = {"parameters", "esd", "rwp", "redchi2",
                                                          "status"};
    for (int i = 0; st == TSCT_OK && i < FIT_OUT_FIXED + v.nmaps; i++) {
        const int rank = i < 2 ? 5 : 4;
        int64_t sh[5] = {nt - t0, nz, ny, nx, k};
        tsct_dataset_params dp = TSCT_DATASET_PARAMS_DEFAULT;
        if (i < FIT_OUT_FIXED) {
            snprintf(dpath, sizeof dpath, "%s/%s/%s", TSCT_PATH_FITS, o->name, out_names[i]);
        } else {
            const char *names = tsct_fit_plan_names(plan);
            int j = v.map_param[i - FIT_OUT_FIXED];
            for (int s = 0; s < j; s++)
                names += strcspn(names, ",") + 1;
            snprintf(dpath, sizeof dpath, "%s/%s_%.*s", TSCT_PATH_MAPS, o->name,
                     (int)strcspn(names, ","), names);
        }
        st = tsct_step_dataset(step, dpath, rank, sh, t0 > 0 ? t0 : -1, &dp, &v.out[i], &err);
        char text[3072];
        if (st == TSCT_OK && i < 2)
            st = tsct_dataset_set_attr_string(v.out[i], "parameters", tsct_fit_plan_names(plan),
                                              &err);
        if (st == TSCT_OK && i == 0)
            st = tsct_dataset_set_attr_string(v.out[i], "model", tsct_fit_plan_describe(plan),
                                              &err);
        if (st == TSCT_OK && i == 0)
            st = tsct_dataset_set_attr_string(v.out[i], "source", src_path, &err);
        if (st == TSCT_OK && i == 0)
            st = tsct_dataset_set_attr_string(v.out[i], "mask", mask_text, &err);
        if (st == TSCT_OK && i == 1)
            st = tsct_dataset_set_attr_string(
                v.out[i], "definition",
                "sqrt(diag((J^T J)^-1)) x sqrt(reduced chi2) over the free parameters; 0 for "
                "fixed ones; NaN when J^T J is singular", &err);
        if (st == TSCT_OK && i == 2)
            st = tsct_dataset_set_attr_string(v.out[i], "definition",
                                              "R_wp = sqrt(sum (y - f)^2 / sum y^2) over the "
                                              "window", &err);
        if (st == TSCT_OK && i == 3)
            st = tsct_dataset_set_attr_string(v.out[i], "definition",
                                              "chi2 / (points in the window - free parameters)",
                                              &err);
        if (st == TSCT_OK && i == 4)
            st = tsct_dataset_set_attr_string(v.out[i], "codes",
                                              "0 converged, 1 converged with a parameter on a "
                                              "bound, 2 not converged (iteration limit), 3 "
                                              "failed (non-finite data in the window), NaN "
                                              "outside the mask", &err);
        if (st == TSCT_OK && i >= FIT_OUT_FIXED) {
            snprintf(text, sizeof text, "parameter %s of the peak fit /entry/fits/%s (%s) of %s",
                     dpath + strlen(TSCT_PATH_MAPS) + 2 + strlen(o->name), o->name,
                     tsct_fit_plan_describe(plan), mask_text);
            st = tsct_dataset_set_attr_string(v.out[i], "method", text, &err);
        }
    }

    tsct_progress progress;
    const int64_t nrows = (nt - t0) * nz * ny;
    if (st == TSCT_OK)
        tsct_progress_begin(&progress, &cli->progress, "fit voxel rows", nrows,
                            tsct_step_done_count(step));
    int64_t batch_first = -1, batch_n = 0;
    double last_mark = tsct_clock();
    for (int64_t r = 0; st == TSCT_OK && r < nrows; r++) {
        if (tsct_step_is_done(step, r))
            continue;
        int64_t lead[3] = {t0 + r / (nz * ny), r / ny % nz, r % ny}, n = 0;
        st = tsct_dataset_read_row(v.src, lead, v.row, &err);
        if (st == TSCT_OK)
            st = row_mask(&v, lead, cut, &n, &err);
        if (st != TSCT_OK)
            break;
        tsct_fit_execute_many(plan, v.row, nx, nc, v.vmask, ws, v.par, v.esd, v.rwp, v.rc,
                              v.stat, counts);
        for (int s = 0; s < 4; s++)
            total_counts[s] += counts[s];
        float *bufs[FIT_OUT_FIXED] = {v.par, v.esd, v.rwp, v.rc, v.stat};
        lead[0] -= t0; /* the staged time step */
        for (int i = 0; st == TSCT_OK && i < FIT_OUT_FIXED + v.nmaps; i++) {
            if (i >= FIT_OUT_FIXED) {
                const int j = v.map_param[i - FIT_OUT_FIXED];
                for (int64_t x = 0; x < nx; x++)
                    v.mapbuf[x] = v.par[x * k + j];
            }
            st = tsct_dataset_write_row(v.out[i], lead, i < FIT_OUT_FIXED ? bufs[i] : v.mapbuf,
                                        &err);
        }
        if (st != TSCT_OK)
            break;
        if (batch_n && batch_first + batch_n != r) {
            st = tsct_step_mark_done(step, batch_first, batch_n, &err);
            batch_n = 0;
        }
        if (!batch_n)
            batch_first = r;
        batch_n++;
        const double now = tsct_clock();
        if (st == TSCT_OK && now - last_mark > 1.0) {
            st = tsct_step_mark_done(step, batch_first, batch_n, &err);
            batch_n = 0;
            last_mark = now;
        }
        tsct_progress_add(&progress, 1);
    }
    if (st == TSCT_OK && batch_n)
        st = tsct_step_mark_done(step, batch_first, batch_n, &err);
    if (st == TSCT_OK) {
        tsct_progress_end(&progress);
        for (int i = 0; i < FIT_OUT_FIXED + v.nmaps; i++) {
            tsct_dataset_close(v.out[i]);
            v.out[i] = NULL;
        }
        st = tsct_step_commit(step, &err);
        step = NULL;
    }
    if (st == TSCT_OK)
        tsct_log_msg(&cli->log, TSCT_LOG_INFO,
                     "%s: /entry/fits/%s, %d parameters (%s); this run: %lld converged, %lld on "
                     "a bound, %lld not converged, %lld failed", path, o->name, k,
                     tsct_fit_plan_names(plan), (long long)total_counts[0],
                     (long long)total_counts[1], (long long)total_counts[2],
                     (long long)total_counts[3]);
done:
    for (int i = 0; i < FIT_OUT_FIXED + TSCT_FIT_MAX_PARAMS; i++)
        tsct_dataset_close(v.out[i]);
    tsct_step_close(step);
    free(stamps);
    if (v.recon != v.src)
        tsct_dataset_close(v.recon);
    tsct_dataset_close(v.src);
    tsct_dataset_close(v.mask);
    tsct_map_plan_destroy(v.total);
    if (st == TSCT_OK)
        st = tsct_container_close(v.c, &err);
    else
        tsct_container_close(v.c, NULL);
    tsct_fit_workspace_destroy(ws);
    tsct_fit_plan_destroy(plan);
    free(xaxis);
    free(v.row), free(v.trow), free(v.mrow), free(v.vmask), free(v.par), free(v.esd);
    free(v.rwp);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
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
