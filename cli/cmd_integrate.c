/* cmd_integrate.c - `tsct integrate`: azimuthal integration of detector images into .xy files
 * (tsct_stage_integrate_files), or of the frames of a whole scan into /entry/integrated of a
 * container (--container: tsct_stage_integrate); lib/stage/stage_integrate.c does the work.
 * The command parses options into the stage's parameters and makes one call.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tsct/integrate.h"
#include "tsct/stage.h"

const char tsct_usage_integrate[] =
    "usage: tsct integrate IMAGE... --poni FILE -o OUT [options]\n"
    "       tsct integrate FRAMES... --poni FILE --container EXP.h5 --angles N\n"
    "                      --translations NS [scan options] [options]\n"
    "\n"
    "Azimuthally integrate detector images (CBF, EDF, TIFF, npy) into 1-D patterns, as\n"
    "pyFAI 0.21's integrate1d_ng does (docs/integration.md). One image: OUT is the .xy\n"
    "file; several: OUT is a folder that receives NAME.xy for each IMAGE. Every file has\n"
    "three columns (radial, intensity, sigma from the Poisson model) under a '#' header with\n"
    "the geometry and the options. Masked in every image: the module gaps of the PONI's\n"
    "detector (Pilatus, Eiger, as pyFAI's detector mask), the negative pixels of the first\n"
    "image, and --mask.\n"
    "\n"
    "Options:\n"
    "  -p, --poni FILE             geometry (pyFAI PONI file; required)\n"
    "  -o, --output OUT            output file (one image) or folder (required)\n"
    "  -m, --mask M                mask image, non-zero = masked\n"
    "      --dark D                dark image, subtracted\n"
    "      --flat F                flat-field image, divides\n"
    "  -n, --npt N                 number of bins (default 2000)\n"
    "  -u, --unit U                q_A^-1 (default), q_nm^-1, 2th_deg, 2th_rad, r_mm\n"
    "      --method M              pixel splitting: no (default), bbox, full\n"
    "      --polarization F        polarization factor -1..1 (default: no correction)\n"
    "      --no-solid-angle        do not correct for the solid angle\n"
    "      --filter F              mean (default), trimmed:LO,HI (percent; trimmed:10,90 is\n"
    "                              the 10 %% trimmed mean, trimmed:50,50 the median),\n"
    "                              sigma:THRES[,ITER] (sigma clipping, 5 iterations)\n"
    "      --radial-range A B      radial range in the unit (default: all pixels)\n"
    "      --azimuth-range A B     chi range in degrees, -180..180\n"
    "      --monitor X             divide by this normalisation factor (default 1)\n"
    "\n"
    "\n"
    "Scans (--container): FRAMES are image files, folders of image files (natural name\n"
    "order), FILE.h5::/path stacks (with an optional [a:b] slice) or Dectris *_master.h5\n"
    "files, in acquisition order (time step, slice, angle, translation). Their patterns go\n"
    "to /entry/integrated of EXP.h5 (created if missing) with the scan axes; resumable.\n"
    "Scan options:\n"
    "      --container EXP.h5      the experiment container\n"
    "      --angles N              N angles, evenly over --angle-range (end excluded)\n"
    "      --angle-range DEG       180 (default) or 360\n"
    "      --translations NS       translations per angle\n"
    "      --translation-step MM   step between translations (default: unit steps)\n"
    "      --slices NZ             slices per time step (default 1)\n"
    "      --zigzag                snake scan: odd rows were recorded backwards\n"
    "      --time-offset T         the frames are time steps T, T+1, ... of an experiment\n"
    "                              already in the container (operando: append)\n"
    "      --monitor-dataset PATH  divide each frame's pattern by its value in the dataset\n"
    "                              PATH [frames] of the HDF5 file holding the frame\n"
    "      --monitor-header KEY    divide each frame's pattern by the number in header item\n"
    "                              KEY of its image file (EDF: the key; CBF: the Pilatus\n"
    "                              line '# KEY VALUE', e.g. Flux)\n"
    "      --transmission-dataset PATH, --transmission-header KEY\n"
    "                              the sample's transmission at each frame (a diode behind\n"
    "                              the sample over the monitor, 1 for an empty beam), from\n"
    "                              the dataset or header item as for the monitor: stored as\n"
    "                              /entry/scan/transmission [nt][nz][na][ns] for\n"
    "                              tsct sinogram --normalise transmission\n"
    "\n"
    "Example:\n"
    "  tsct integrate CeO2.cbf --poni CeO2.poni --mask mask.edf --filter trimmed:10,90 \\\n"
    "      -o CeO2.xy\n";

struct integrate_opts {
    tsct_stage_integrate_files_params files; /* images -> .xy files */
    tsct_stage_integrate_scan_params scan;   /* every shared option is parsed into this */
    const char *container;
};

/* The options of the file mode and --container (the stage's are in its table, lib/stage). */
static const tsct_stage_option own_options[] = {
    {"output", 'o', TSCT_STAGE_OPTION_VALUE, 1, 0, "OUT: output file (one image) or folder"},
    {"monitor", 0, TSCT_STAGE_OPTION_VALUE, 0, 0, "X: divide by this normalisation factor"},
    {"container", 0, TSCT_STAGE_OPTION_VALUE, 1, 0, "EXP.h5: the experiment container"},
    {NULL, 0, 0, 0, 0, NULL}};

static int on_own(tsct_cli *cli, void *data, const char *name, const char *v)
{
    struct integrate_opts *o = data;
    if (strcmp(name, "output") == 0)
        o->files.output = v;
    else if (strcmp(name, "container") == 0)
        o->container = v;
    else if (tsct_cli_parse_double(v, &o->files.monitor) != 0 || !(o->files.monitor > 0))
        return tsct_cli_usage_error(cli, "--monitor expects a number > 0, got '%s'", v);
    return 0;
}

/* The modes' rules; then the shared options into the files' parameters. */
static int check_options(tsct_cli *cli, int argc, char **argv, struct integrate_opts *o)
{
    tsct_stage_integrate_files_params *f = &o->files;
    tsct_stage_integrate_scan_params *s = &o->scan;
    if (optind >= argc)
        return tsct_cli_usage_error(cli, "missing IMAGE");
    if (!s->poni)
        return tsct_cli_usage_error(cli, "missing --poni FILE");
    if (s->monitor_source != TSCT_STAGE_FRAME_VALUE_NONE && !o->container)
        return tsct_cli_usage_error(cli, "--monitor-%s needs --container (scan mode)",
                                    s->monitor_source == TSCT_STAGE_FRAME_VALUE_DATASET
                                        ? "dataset" : "header");
    if (s->transmission_source != TSCT_STAGE_FRAME_VALUE_NONE && !o->container)
        return tsct_cli_usage_error(cli, "--transmission-%s needs --container (scan mode)",
                                    s->transmission_source == TSCT_STAGE_FRAME_VALUE_DATASET
                                        ? "dataset" : "header");
    if (o->container) {
        if (f->output)
            return tsct_cli_usage_error(cli, "-o and --container exclude each other");
        if (!s->angles || !s->translations)
            return tsct_cli_usage_error(cli, "a scan needs --angles N and --translations NS");
    } else if (!f->output) {
        return tsct_cli_usage_error(cli, "missing -o OUT (or --container EXP.h5 for a scan)");
    }
    s->frames = (const char *const *)(argv + optind);
    s->nframes = argc - optind;
    f->images = s->frames, f->nimages = s->nframes;
    f->poni = s->poni, f->mask = s->mask, f->dark = s->dark, f->flat = s->flat;
    f->integrate = s->integrate, f->filter = s->filter;
    return 0;
}

static int parse_options(tsct_cli *cli, int argc, char **argv, struct integrate_opts *o)
{
    const tsct_stage_integrate_files_params files = TSCT_STAGE_INTEGRATE_FILES_PARAMS_DEFAULT;
    const tsct_stage_integrate_scan_params scan = TSCT_STAGE_INTEGRATE_SCAN_PARAMS_DEFAULT;
    memset(o, 0, sizeof *o);
    o->files = files;
    o->scan = scan;
    int rc = tsct_cli_stage_options(cli, argc, argv, TSCT_STAGE_ID_INTEGRATE, &o->scan,
                                    own_options, on_own, o);
    return rc ? rc : check_options(cli, argc, argv, o);
}

int tsct_cmd_integrate(tsct_cli *cli, int argc, char **argv)
{
    struct integrate_opts o;
    int rc = parse_options(cli, argc, argv, &o);
    if (rc != 0)
        return rc;
    tsct_error err = TSCT_ERROR_INIT;
    tsct_stage_ctx ctx = tsct_cli_stage_ctx(cli);
    tsct_status st;
    if (o.container) {
        tsct_cli_guard_file(o.container);
        st = tsct_stage_integrate(o.container, &o.scan, &ctx, NULL, &err);
    } else {
        if (tsct_cli_rank_idle(cli))
            return TSCT_EXIT_OK;
        st = tsct_stage_integrate_files(&o.files, &ctx, NULL, &err);
    }
    return st == TSCT_OK ? TSCT_EXIT_OK : tsct_cli_fail(cli, &err);
}
