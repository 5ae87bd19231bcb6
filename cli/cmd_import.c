/* cmd_import.c - `tsct import`: copy an array from any HDF5 file into a container stage.
 *
 * For data produced elsewhere (patterns integrated by pyFAI, sinograms or reconstructions
 * from nDTomo scripts): the array is streamed row by row through a resumable step, so an
 * interrupted import continues where it stopped and the stage appears in the container only
 * when complete. Arrays of rank < 5 get leading axes of length 1: [ny][nx][nq] becomes
 * [1][1][ny][nx][nq].
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tsct/array.h"
#include "tsct/container.h"
#include "tsct/progress.h"
#include "tsct/publish.h"

const char tsct_usage_import[] =
    "usage: tsct import SOURCE.h5::/dataset -o EXP.h5 [options]\n"
    "\n"
    "Copy an array from any HDF5 file into a stage of the experiment container EXP.h5\n"
    "(created if missing), row by row without loading it whole. The array's last axis is\n"
    "the pattern axis; arrays with fewer than 5 axes get leading axes of length 1, so\n"
    "[ny][nx][nq] becomes recon [1][1][ny][nx][nq]. Integer and float arrays are stored as\n"
    "float32. The import is a resumable step: run the same command again after an\n"
    "interruption and it continues where it stopped.\n"
    "\n"
    "Options:\n"
    "  -o, --output EXP.h5     the container (required)\n"
    "  -s, --stage NAME        integrated | sinograms | recon | pdf (default: recon)\n"
    "  -a, --axis SRC::/path   1-D values of the last axis (q in 1/A, or r in A for pdf)\n"
    "  -u, --axis-units U      units of those values (default: A^-1, or A for pdf)\n"
    "  -t, --time T            store as time steps T, T+1, ... of an existing stage\n"
    "                          (operando: append); default: replace the stage\n"
    "      --deflate N         compression level 0..9 (default 1; 0 = none)\n"
    "\n"
    "Example:\n"
    "  tsct import patterns.h5::/data -a patterns.h5::/q -s integrated -o exp.h5\n";

static const struct {
    const char *name;
    const char *data;
    const char *axis;
    const char *units;
} stages[] = {
    {"integrated", TSCT_PATH_INTEGRATED, TSCT_PATH_INTEGRATED_Q, "A^-1"},
    {"sinograms", TSCT_PATH_SINOGRAMS, TSCT_PATH_SINOGRAMS_Q, "A^-1"},
    {"recon", TSCT_PATH_RECON, TSCT_PATH_RECON_Q, "A^-1"},
    {"pdf", TSCT_PATH_PDF, TSCT_PATH_PDF_R, "A"},
};

struct import_opts {
    const char *source, *output, *stage, *axis, *units;
    int64_t time;
    int64_t deflate;
};

static int parse_options(tsct_cli *cli, int argc, char **argv, struct import_opts *o)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},   {"stage", required_argument, NULL, 's'},
        {"axis", required_argument, NULL, 'a'},     {"axis-units", required_argument, NULL, 'u'},
        {"time", required_argument, NULL, 't'},     {"deflate", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->stage = "recon";
    o->time = -1;
    o->deflate = 1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:s:a:u:t:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'o': o->output = optarg; break;
        case 's': o->stage = optarg; break;
        case 'a': o->axis = optarg; break;
        case 'u': o->units = optarg; break;
        case 't':
            if (tsct_cli_parse_int64(optarg, &o->time) != 0 || o->time < 0)
                return tsct_cli_usage_error(cli, "--time expects a time step >= 0, got '%s'",
                                            optarg);
            break;
        case 'd':
            if (tsct_cli_parse_int64(optarg, &o->deflate) != 0 || o->deflate < 0 ||
                o->deflate > 9)
                return tsct_cli_usage_error(cli, "--deflate expects 0..9, got '%s'", optarg);
            break;
        case ':': return tsct_cli_usage_error(cli, "%s needs a value", argv[optind - 1]);
        default: return tsct_cli_usage_error(cli, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return tsct_cli_usage_error(cli, optind >= argc ? "missing SOURCE.h5::/dataset"
                                                        : "one source at a time");
    o->source = argv[optind];
    if (!o->output)
        return tsct_cli_usage_error(cli, "missing -o EXP.h5");
    return 0;
}

/* Open FILE::/dataset for reading. */
static tsct_status open_source(const char *spec, const char *what, tsct_container **f,
                               tsct_dataset **d, tsct_error *err)
{
    char file[TSCT_PATH_MAX], dset[1024];
    tsct_path_split(spec, file, sizeof file, dset, sizeof dset);
    if (!dset[0])
        return tsct_error_set(err, TSCT_ERR_VALUE, file, what, -1,
                              "name the dataset as FILE.h5::/path/to/dataset");
    tsct_cli_guard_file(file);
    TSCT_TRY(tsct_h5file_open(file, TSCT_OPEN_READ, f, err));
    tsct_status st = tsct_dataset_open(*f, dset, d, err);
    if (st != TSCT_OK) {
        tsct_container_close(*f, NULL);
        *f = NULL;
    }
    return st;
}

static tsct_status open_or_create(const char *path, tsct_container **c, tsct_error *err)
{
    if (access(path, F_OK) == 0)
        return tsct_container_open(path, TSCT_OPEN_WRITE, c, err);
    return tsct_container_create(path, 0, c, err);
}

int tsct_cmd_import(tsct_cli *cli, int argc, char **argv)
{
    struct import_opts o;
    int rc = parse_options(cli, argc, argv, &o);
    if (rc)
        return rc;
    int si = -1;
    for (int i = 0; i < (int)(sizeof stages / sizeof stages[0]); i++)
        if (strcmp(stages[i].name, o.stage) == 0)
            si = i;
    if (si < 0)
        return tsct_cli_usage_error(cli, "--stage must be integrated, sinograms, recon or pdf, "
                                         "not '%s'", o.stage);

    tsct_error err = TSCT_ERROR_INIT;
    tsct_container *src_file = NULL, *axis_file = NULL, *c = NULL;
    tsct_dataset *src = NULL, *dst = NULL;
    tsct_step *step = NULL;
    double *axis = NULL;
    float *row = NULL;
    int64_t naxis = 0;
    tsct_status st = open_source(o.source, "source", &src_file, &src, &err);
    if (st != TSCT_OK)
        goto fail;

    /* Pad the source shape to the stage's five axes. */
    int64_t sshape[8], shape[5];
    int snd = tsct_dataset_shape(src, sshape);
    if (snd > 5) {
        char b[128];
        st = tsct_error_set(&err, TSCT_ERR_SHAPE, o.source, NULL, -1,
                            "a stage has 5 axes, the source has %d (shape %s)", snd,
                            tsct_shape_format(b, sizeof b, snd, sshape));
        goto fail;
    }
    for (int i = 0; i < 5; i++)
        shape[i] = i < 5 - snd ? 1 : sshape[i - (5 - snd)];
    if (tsct_shape_size(5, shape) == 0) {
        st = tsct_error_set(&err, TSCT_ERR_SHAPE, o.source, NULL, -1, "the array is empty");
        goto fail;
    }

    if (o.axis) {
        char file[TSCT_PATH_MAX], dset[1024];
        tsct_path_split(o.axis, file, sizeof file, dset, sizeof dset);
        st = tsct_h5file_open(file, TSCT_OPEN_READ, &axis_file, &err);
        if (st == TSCT_OK)
            st = dset[0] ? tsct_container_read_vector(axis_file, dset, &axis, &naxis, &err)
                         : tsct_error_set(&err, TSCT_ERR_VALUE, file, "--axis", -1,
                                          "name the dataset as FILE.h5::/path");
        if (st != TSCT_OK)
            goto fail;
        if (naxis != shape[4]) {
            st = tsct_error_set(&err, TSCT_ERR_SHAPE, o.axis, NULL, -1,
                                "%lld axis values for a last axis of %lld", (long long)naxis,
                                (long long)shape[4]);
            goto fail;
        }
    }

    st = open_or_create(o.output, &c, &err);
    if (st != TSCT_OK)
        goto fail;

    /* The fingerprint ties a partial run to this exact source and these settings. */
    struct stat sb;
    char src_path[TSCT_PATH_MAX], src_dset[1024], fingerprint[4096];
    tsct_path_split(o.source, src_path, sizeof src_path, src_dset, sizeof src_dset);
    stat(src_path, &sb);
    snprintf(fingerprint, sizeof fingerprint,
             "source=%s size=%lld mtime=%lld.%09ld shape=%lldx%lldx%lldx%lldx%lld time=%lld "
             "deflate=%lld axis=%s",
             o.source, (long long)sb.st_size, (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
             (long long)shape[0], (long long)shape[1], (long long)shape[2], (long long)shape[3],
             (long long)shape[4], (long long)o.time, (long long)o.deflate,
             o.axis ? o.axis : "");
    char name[64];
    snprintf(name, sizeof name, "import_%s", stages[si].name);
    int64_t nrows = shape[0] * shape[1] * shape[2];
    tsct_step_info info = {name, cli->command_line, NULL, fingerprint, nrows, NULL, NULL, 0};
    st = tsct_step_begin(c, &info, &cli->log, &step, &err);
    if (st != TSCT_OK)
        goto fail;
    if (axis) {
        st = tsct_step_vector(step, stages[si].axis, axis, naxis,
                              o.units ? o.units : stages[si].units, &err);
        if (st != TSCT_OK)
            goto fail;
    }
    tsct_dataset_params params = TSCT_DATASET_PARAMS_DEFAULT;
    params.deflate = (int)o.deflate;
    st = tsct_step_dataset(step, stages[si].data, 5, shape, o.time, &params, &dst, &err);
    if (st != TSCT_OK)
        goto fail;

    int64_t rowsize = shape[3] * shape[4];
    row = malloc((size_t)rowsize * sizeof *row);
    if (!row) {
        st = tsct_error_set(&err, TSCT_ERR_NOMEM, o.source, NULL, -1, "row of %lld values",
                            (long long)rowsize);
        goto fail;
    }
    tsct_progress progress;
    tsct_progress_begin(&progress, &cli->progress, name, nrows, tsct_step_done_count(step));
    int64_t nonfinite = 0, batch_first = -1, batch_n = 0;
    double last_mark = tsct_clock();
    for (int64_t r = 0; r < nrows; r++) {
        if (tsct_step_is_done(step, r))
            continue;
        int64_t lead[3] = {r / (shape[1] * shape[2]), r / shape[2] % shape[1], r % shape[2]};
        int64_t start[8] = {0}, count[8];
        for (int i = 0; i < snd; i++) {
            int k = i + (5 - snd);
            start[i] = k < 3 ? lead[k] : 0;
            count[i] = k < 3 ? 1 : shape[k];
        }
        st = tsct_dataset_read(src, start, count, row, &err);
        if (st == TSCT_OK)
            st = tsct_dataset_write_row(dst, lead, row, &err);
        if (st != TSCT_OK)
            goto fail;
        for (int64_t i = 0; i < rowsize; i++)
            nonfinite += !isfinite(row[i]);
        /* Record finished rows in batches of contiguous units, at most every second. */
        if (batch_n && batch_first + batch_n != r) {
            st = tsct_step_mark_done(step, batch_first, batch_n, &err);
            batch_n = 0;
            if (st != TSCT_OK)
                goto fail;
        }
        if (!batch_n)
            batch_first = r;
        batch_n++;
        double now = tsct_clock();
        if (now - last_mark > 1.0 || r == nrows - 1) {
            st = tsct_step_mark_done(step, batch_first, batch_n, &err);
            batch_n = 0;
            last_mark = now;
            if (st != TSCT_OK)
                goto fail;
        }
        tsct_progress_add(&progress, 1);
    }
    if (batch_n) {
        st = tsct_step_mark_done(step, batch_first, batch_n, &err);
        if (st != TSCT_OK)
            goto fail;
    }
    tsct_progress_end(&progress);
    tsct_dataset_close(dst);
    dst = NULL;
    st = tsct_step_commit(step, &err);
    step = NULL;
    if (st != TSCT_OK)
        goto fail;
    if (nonfinite)
        tsct_log_msg(&cli->log, TSCT_LOG_WARN, "%s: %lld values are NaN or infinite (kept)",
                     o.source, (long long)nonfinite);
    char shp[128];
    tsct_log_msg(&cli->log, TSCT_LOG_INFO, "imported %s %s into %s:%s", o.source,
                 tsct_shape_format(shp, sizeof shp, 5, shape), o.output, stages[si].data);
    st = tsct_container_close(c, &err);
    c = NULL;
    free(row);
    free(axis);
    tsct_dataset_close(src);
    tsct_container_close(src_file, NULL);
    tsct_container_close(axis_file, NULL);
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);

fail:
    tsct_dataset_close(dst);
    tsct_step_close(step);
    tsct_container_close(c, NULL);
    tsct_dataset_close(src);
    tsct_container_close(src_file, NULL);
    tsct_container_close(axis_file, NULL);
    free(row);
    free(axis);
    return tsct_cli_fail(cli, &err);
}
