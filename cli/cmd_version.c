/* cmd_version.c - `tsct version [-v]`: version, libraries and compiled-in features. */
#include <stdio.h>

#include "cli.h"
#include "tsct/container.h"
#include "tsct/mpi.h"
#include "tsct/threads.h"
#include "tsct/version.h"

const char tsct_usage_version[] =
    "usage: tsct version [-v]\n"
    "\n"
    "Print the tsct version. With -v, also the libraries in use and the optional parts of\n"
    "this build: HDF5 and its compression filters (deflate, LZ4, bitshuffle for Dectris and\n"
    "BLISS files), FFTW, OpenMP, cairo, MPI, CUDA.\n";

static const char *yes_no(int v)
{
    return v ? "yes" : "no";
}

int tsct_cmd_version(tsct_cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return tsct_cli_usage_error(cli, "takes no arguments");
    tsct_build_info b;
    tsct_build_info_get(&b);
    printf("tsct %s\n", b.version);
    if (cli->verbosity < 1)
        return TSCT_EXIT_OK;
    tsct_hdf5_info h;
    tsct_hdf5_info_get(&h);
    printf("build:      %s%s\n", b.build_type, b.sanitized ? ", AddressSanitizer + UBSan" : "");
    printf("HDF5:       %u.%u.%u\n", h.major, h.minor, h.release);
    printf("  filters:  deflate %s, szip %s, lz4 %s, bitshuffle %s, zstd %s, blosc %s\n",
           yes_no(h.deflate), yes_no(h.szip), yes_no(h.lz4), yes_no(h.bitshuffle),
           yes_no(h.zstd), yes_no(h.blosc));
    printf("  plugins:  %s\n", h.plugin_path[0] ? h.plugin_path : "(none)");
    printf("FFTW:       %s\n", b.fftw);
    if (b.openmp)
        printf("OpenMP:     yes (version %d, %d threads available)\n", b.openmp_version,
               tsct_threads_resolve(0));
    else
        printf("OpenMP:     no (single-threaded kernels)\n");
    printf("cairo:      %s%s%s\n", b.cairo ? "yes (" : "no", b.cairo ? b.cairo_version : "",
           b.cairo ? ")" : "");
    if (b.mpi)
        printf("MPI:        yes (%d rank%s in this run; integrate and recon split over ranks)\n",
               tsct_mpi_size(cli->mpi), tsct_mpi_size(cli->mpi) == 1 ? "" : "s");
    else
        printf("MPI:        no (one process; configure with -DTSCT_WITH_MPI=ON)\n");
    printf("CUDA:       %s\n", b.cuda ? "toolkit found, no GPU kernels yet (CPU path only)"
                                      : "no (CPU path only)");
    printf("libpng:     %s\n", b.png);
    printf("libtiff:    %s\n", b.tiff);
    printf("zlib:       %s\n", b.zlib);
    return TSCT_EXIT_OK;
}
