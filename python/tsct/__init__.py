"""tsct: X-ray diffraction and total-scattering computed tomography, from Python.

The Python face of libtsct (the C library behind the `tsct` program), through ctypes: no
compiler and no network at install time, numpy arrays in and out.

Kernels on arrays (tsct.kernels):
    read_image(path)                      a detector frame as float32 [rows][cols]
    read_poni(path) -> Poni               pyFAI geometry (SI units)
    integrate(image, poni, npt=...)       azimuthal integration, as `tsct integrate`
    recon(sinogram, angles, method=...)   FBP / SIRT / CGLS of [na][ns] or [na][ns][nc]
    flat_dark(data, flat, dark), neglog   absorption projections to line integrals
    pdf(q, iq, composition, ...)          G(r) as PDFgetX3 defines it, as `tsct pdf`
    powder_pattern(cif, x, wavelength)    calculated powder pattern, as `tsct pattern`

Stages on experiment containers (tsct.stage: sinogram, recon, recon_array, map, pdf,
pdf_region, pdf_files, region, coverage, particles, import_, integrate_scan, integrate_files,
echem, figure, simulate): the same library calls, datasets and provenance as the program.

Errors raise tsct.TsctError carrying the library's message (file, item, index, expected).
The GIL is released during every library call (ctypes.CDLL does so), so long calls run
beside other Python threads; the library's own OpenMP threads are set by nthreads (0: all
cores). Log messages go to logging.getLogger("tsct").

The library is found through TSCT_LIBRARY (a path to libtsct.so), else next to an installed
module (`cmake --install`), else in build/ of the source tree beside python/, else on the
system's library path. docs/python.md has a worked example.
"""

from ._lib import TsctError, Params, library_path
from .kernels import (Poni, PdfResult, Pattern, flat_dark, integrate, neglog, pdf, powder_pattern,
                      read_image, read_poni, recon)
from . import stages as stage

__all__ = ["TsctError", "Params", "Poni", "PdfResult", "Pattern", "flat_dark", "integrate",
           "neglog", "pdf",
           "powder_pattern", "read_image", "read_poni", "recon", "stage", "library_path",
           "version"]


def version():
    """The library's version string."""
    import ctypes
    from ._lib import lib
    lib.tsct_version.restype = ctypes.c_char_p
    return lib.tsct_version().decode()
