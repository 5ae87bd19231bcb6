/* tsct/version.h - the library version and what this build of it contains.
 *
 * For `tsct version -v` and for programs that embed libtsct and want to report how it was
 * built: versions of the libraries it links and the optional parts compiled in.
 */
#ifndef TSCT_VERSION_H
#define TSCT_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

/* "MAJOR.MINOR.PATCH" of the library in use (static string). */
const char *tsct_version(void);

typedef struct tsct_build_info {
    const char *version;      /* as tsct_version() */
    const char *build_type;   /* CMake build type: "Release", "Debug", ... */
    int sanitized;            /* 1 if built with AddressSanitizer + UBSan */
    int openmp;               /* 1 if OpenMP threads are compiled in */
    int openmp_version;       /* _OPENMP date (e.g. 201511), 0 without OpenMP */
    int cairo;                /* 1 if figures use cairo for text and axes */
    int mpi;                  /* 1 if built with MPI (TSCT_WITH_MPI=ON): integrate and recon
                                 split their work over ranks (tsct/mpi.h) */
    int cuda;                 /* 1 if the CUDA toolkit was found and enabled (no GPU kernel
                                 exists yet in this version) */
    const char *fftw;         /* FFTW's own version string */
    const char *png;          /* libpng version in use */
    const char *tiff;         /* first line of libtiff's version text */
    const char *zlib;         /* zlib version in use */
    const char *cairo_version;/* cairo version in use, "" without cairo */
} tsct_build_info;

/* Fill `info`; all strings are static. */
void tsct_build_info_get(tsct_build_info *info);

#ifdef __cplusplus
}
#endif
#endif /* TSCT_VERSION_H */
