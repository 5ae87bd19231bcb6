/* features.c - what this build of libtsct links and contains (see include/tsct/version.h).
 *
 * Lives in lib/io because it asks the linked libraries (FFTW, libpng, libtiff, zlib, cairo)
 * for their versions; lib/core stays free of dependencies. */
#include <fftw3.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <tiffio.h>
#include <zlib.h>

#include "tsct/version.h"
#include "tsct_config.h"

#if TSCT_HAVE_CAIRO
#include <cairo.h>
#endif

const char *tsct_version(void)
{
    return TSCT_VERSION_STRING;
}

void tsct_build_info_get(tsct_build_info *info)
{
    /* libtiff's version text spans lines; keep the first. Static: written once per call with
     * the same content, so concurrent callers see the same bytes. */
    static char tiff_line[128];
    const char *tv = TIFFGetVersion();
    size_t n = strcspn(tv, "\n");
    if (n >= sizeof tiff_line)
        n = sizeof tiff_line - 1;
    memcpy(tiff_line, tv, n);
    tiff_line[n] = '\0';

    memset(info, 0, sizeof *info);
    info->version = TSCT_VERSION_STRING;
    info->build_type = TSCT_BUILD_TYPE;
    info->sanitized = strcmp(TSCT_SANITIZED, "ON") == 0;
    info->openmp = TSCT_HAVE_OPENMP;
#ifdef _OPENMP
    info->openmp_version = _OPENMP;
#endif
    info->cairo = TSCT_HAVE_CAIRO;
    info->mpi = TSCT_HAVE_MPI;
    info->cuda = TSCT_HAVE_CUDA;
    info->fftw = fftw_version;
    info->png = png_get_libpng_ver(NULL);
    info->tiff = tiff_line;
    info->zlib = zlibVersion();
#if TSCT_HAVE_CAIRO
    info->cairo_version = cairo_version_string();
#else
    info->cairo_version = "";
#endif
}
