"""numpy in, numpy out: the kernels people script, each one library call (or one plan and its
execution) on arrays in memory.

Arrays are converted to what the library takes (float32 or float64, C order) and results
come back as new numpy arrays the caller owns. Errors raise tsct.TsctError with the library's
message.
"""

import ctypes
import os

import numpy as np

from ._lib import Call, Params, TsctError, lib, log_sink, _proto

__all__ = ["read_image", "Poni", "read_poni", "integrate", "recon", "flat_dark", "neglog", "pdf",
           "powder_pattern", "PdfResult", "Pattern"]

c_int, c_int64, c_double, c_size_t = ctypes.c_int, ctypes.c_int64, ctypes.c_double, ctypes.c_size_t
c_char_p, c_void_p = ctypes.c_char_p, ctypes.c_void_p
P = ctypes.POINTER
_u8p, _f32p, _f64p = P(ctypes.c_uint8), P(ctypes.c_float), P(ctypes.c_double)

_proto("tsct_image_read", c_int, c_void_p, c_char_p, c_void_p, c_void_p)
_proto("tsct_image_release", None, c_void_p)
_proto("tsct_poni_read", c_int, c_void_p, c_char_p, c_void_p)
_proto("tsct_poni_detector_find", c_int, c_char_p, c_void_p, c_void_p)
_proto("tsct_poni_detector_mask", c_int64, c_void_p, c_int64, c_int64, _u8p)
_proto("tsct_integrate_filter_parse", c_int, c_char_p, c_void_p, c_void_p)
_proto("tsct_integrate_plan_create", c_int, c_void_p, c_void_p, c_int64, c_int64, _u8p, _f32p,
       _f32p, P(c_void_p), c_void_p)
_proto("tsct_integrate_plan_destroy", None, c_void_p)
_proto("tsct_integrate_plan_npt", c_int64, c_void_p)
_proto("tsct_integrate_plan_radial", _f64p, c_void_p)
_proto("tsct_integrate_workspace_size", c_size_t, c_void_p)
_proto("tsct_integrate_execute", c_int, c_void_p, _f32p, c_double, _f32p, _f32p, c_void_p,
       c_size_t, c_void_p)
_proto("tsct_stage_recon_memory", c_int, _f32p, c_int64, c_int64, c_int64, _f64p, c_void_p,
       c_void_p, P(_f32p), P(c_int64), _f64p, c_void_p)
_proto("tsct_sino_flat_dark", c_int, _f32p, c_int64, _f32p, _f32p, P(c_int64), c_void_p)
_proto("tsct_sino_neglog", c_int, _f32p, c_int64, c_double, P(c_int64), c_void_p)
_proto("tsct_composition_parse", c_int, P(c_void_p), c_char_p, c_void_p)
_proto("tsct_composition_destroy", None, c_void_p)
_proto("tsct_pdf_plan_create", c_int, c_void_p, c_void_p, _f64p, c_int64, P(c_void_p), c_void_p)
_proto("tsct_pdf_plan_destroy", None, c_void_p)
_proto("tsct_pdf_plan_nr", c_int64, c_void_p)
_proto("tsct_pdf_plan_r", _f64p, c_void_p)
_proto("tsct_pdf_execute_one", c_int, c_void_p, _f64p, _f64p, _f64p, _f64p, _f64p, c_void_p)
_proto("tsct_crystal_read_cif", c_int, P(c_void_p), c_char_p, c_void_p)
_proto("tsct_crystal_destroy", None, c_void_p)
_proto("tsct_powder_plan_create", c_int, P(c_void_p), c_void_p, _f64p, c_int64, c_void_p,
       c_void_p)
_proto("tsct_powder_plan_destroy", None, c_void_p)
_proto("tsct_powder_plan_nparams", c_int64, c_void_p)
_proto("tsct_powder_plan_default_params", None, c_void_p, _f64p)
_proto("tsct_powder_evaluate", c_int, c_void_p, _f64p, _f64p, _f64p, c_void_p)


def _path(p):
    return os.fsencode(p)


def _ptr(a, t):
    return a.ctypes.data_as(t)


# ---- detector images and geometry ----------------------------------------------------------

def read_image(path, frame=0):
    """Read one frame of a detector image (CBF, EDF, TIFF, npy; include/tsct/image.h) as a
    float32 array [rows][cols]. Masked pixels of Pilatus / Eiger files stay negative (-1
    gaps, -2 bad pixels), as stored. frame: the EDF block, TIFF page or npy index."""
    img = Params("tsct_image")
    rp = Params("tsct_image_read_params", {"frame": frame})
    c = Call()
    try:
        c.check(lib.tsct_image_read(img.ref, _path(path), rp.ref, c.err))
        rows, cols = img["rows"], img["cols"]
        data = ctypes.cast(img["data"], _f32p)
        return np.ctypeslib.as_array(data, shape=(rows, cols)).copy()
    finally:
        lib.tsct_image_release(img.ref)


class Poni(Params):
    """A detector geometry in pyFAI's PONI convention (include/tsct/poni.h): SI units, metres
    and radians. Fields: detector, pixel1, pixel2, shape, orientation, dist, poni1, poni2,
    rot1, rot2, rot3, wavelength; read and set as ``g["dist"]`` or ``g.dist``."""

    def __init__(self, **values):
        super().__init__("tsct_poni", values)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(str(e)) from None


def read_poni(path):
    """Read a pyFAI .poni file (versions 1, 2 and 2.1) into a Poni."""
    g = Poni()
    c = Call()
    c.check(lib.tsct_poni_read(g.ref, _path(path), c.err))
    return g


def _geometry(poni):
    return poni if isinstance(poni, Poni) else read_poni(poni)


def _image(x, what):
    if isinstance(x, (str, bytes, os.PathLike)):
        return read_image(x)
    a = np.ascontiguousarray(x, dtype=np.float32)
    if a.ndim != 2:
        raise ValueError("%s: expected a 2-D image [rows][cols], found shape %s" % (what, a.shape))
    return a


def _frame_mask(frame, g, mask):
    """The mask `tsct integrate` applies: negative pixels, the module gaps of the PONI's
    detector when the frame has its full shape (as pyFAI's detector mask), and the user's."""
    m = (frame < 0).astype(np.uint8)
    det = Params("tsct_poni_detector")
    if lib.tsct_poni_detector_find(g["detector"].encode(), det.ref, None) == 0 and \
            det["module"][0] > 0:
        lib.tsct_poni_detector_mask(det.ref, frame.shape[0], frame.shape[1], _ptr(m, _u8p))
    if mask is not None:
        user = _image(mask, "mask") if isinstance(mask, (str, bytes, os.PathLike)) else \
            np.asarray(mask)
        if user.shape != frame.shape:
            raise ValueError("mask: shape %s, expected %s like the image" % (user.shape,
                                                                             frame.shape))
        m |= (user != 0).astype(np.uint8)
    return m


def integrate(image, poni, npt=2000, unit="q_A^-1", mask=None, dark=None, flat=None,
              filter="mean", monitor=1.0, polarization=None, split="no", radial_range=None,
              azimuth_range=None, solid_angle=True, nthreads=0, sigma=True):
    """Azimuthal integration of one frame as ``tsct integrate IMAGE -p PONI`` does it (pyFAI
    0.21's integrate1d_ng, medfilt1d_ng, sigma_clip_ng; include/tsct/integrate.h).

    image: a file (CBF, EDF, TIFF, npy) or a 2-D array; poni: a .poni file or a Poni.
    mask: a file or an array (non-zero = masked), added to the negative pixels and the
    detector's module gaps; dark, flat: files or arrays. filter: "mean", "trimmed:LO,HI"
    (percent), "median" or "sigma:THRES[,ITER]". unit: "q_A^-1", "q_nm^-1", "2th_deg",
    "2th_rad", "r_mm". split: "no", "bbox", "full". polarization: factor in [-1, 1] or None.
    Returns (radial [npt] float64, intensity [npt] float32, sigma [npt] float32 or None).
    """
    g = _geometry(poni)
    frame = _image(image, "image")
    rows, cols = frame.shape
    ip = Params("tsct_integrate_params", {"npt": npt, "unit": unit, "split": split,
                                          "solid_angle": int(bool(solid_angle)),
                                          "nthreads": nthreads})
    if polarization is not None:
        ip["polarization"] = polarization
    if radial_range is not None:
        ip["radial_min"], ip["radial_max"] = radial_range
    if azimuth_range is not None:
        ip["azimuth_min"], ip["azimuth_max"] = azimuth_range
    c = Call()
    if filter and filter != "mean":
        c.check(lib.tsct_integrate_filter_parse(filter.encode(), ip.ref, c.err))
    m = _frame_mask(frame, g, mask)
    fields = []
    for a, what in ((dark, "dark"), (flat, "flat")):
        fields.append(None if a is None else _image(a, what))
        if fields[-1] is not None and fields[-1].shape != frame.shape:
            raise ValueError("%s: shape %s, expected %s like the image"
                             % (what, fields[-1].shape, frame.shape))
    plan = c_void_p()
    c.check(lib.tsct_integrate_plan_create(
        ip.ref, g.ref, rows, cols, _ptr(m, _u8p),
        None if fields[0] is None else _ptr(fields[0], _f32p),
        None if fields[1] is None else _ptr(fields[1], _f32p), ctypes.byref(plan), c.err))
    try:
        n = lib.tsct_integrate_plan_npt(plan)
        radial = np.ctypeslib.as_array(lib.tsct_integrate_plan_radial(plan), shape=(n,)).copy()
        inten = np.empty(n, np.float32)
        sig = np.empty(n, np.float32) if sigma else None
        size = lib.tsct_integrate_workspace_size(plan)
        work = ctypes.create_string_buffer(max(size, 1))
        c.check(lib.tsct_integrate_execute(plan, _ptr(frame, _f32p), float(monitor),
                                           _ptr(inten, _f32p),
                                           None if sig is None else _ptr(sig, _f32p),
                                           work, size, c.err))
        return radial, inten, sig
    finally:
        lib.tsct_integrate_plan_destroy(plan)


# ---- tomography ----------------------------------------------------------------------------

def recon(sinogram, angles=None, method="fbp", filter="ramp", iterations=0, nonneg=False,
          size=0, circle=True, centre="auto", centre_value=None, nthreads=0,
          return_centre=False):
    """Reconstruct a sinogram [na][ns] or a cube [na][ns][nc] (angles, translations,
    channels; the channel axis last) as ``tsct recon`` does once it has read its input:
    centred (centre "auto": 0/180 degree pairs, else Vo's method; "pair", "vo", "none", or a
    number: the rotation axis in translation bins), then FBP (scikit-image's iradon, filter
    "ramp", "shepp-logan", "cosine", "hamming", "hann", "none"), SIRT or CGLS (iterations; 0:
    100 for SIRT, 30 for CGLS). angles: [na] degrees (None: 0 .. 180 end excluded, as
    ``--angle-range 0:180``). Returns the image [n][n] or [n][n][nc] float32 (and the centre
    used, -1 when not centred, with return_centre)."""
    s = np.ascontiguousarray(sinogram, dtype=np.float32)
    if s.ndim not in (2, 3):
        raise ValueError("sinogram: expected [na][ns] or [na][ns][nc], found shape %s"
                         % (s.shape,))
    na, ns = s.shape[0], s.shape[1]
    nc = s.shape[2] if s.ndim == 3 else 1
    th = (np.arange(na, dtype=np.float64) * (180.0 / na) if angles is None
          else np.ascontiguousarray(angles, dtype=np.float64))
    if th.shape != (na,):
        raise ValueError("angles: %d values for a sinogram of %d angles" % (th.size, na))
    p = Params("tsct_stage_recon_params", {"method": method, "filter": filter,
                                           "iterations": iterations, "nonneg": int(nonneg),
                                           "size": size, "circle": int(bool(circle))})
    if isinstance(centre, (int, float)) and not isinstance(centre, bool):
        p["centre"], p["centre_value"] = "fixed", centre
    else:
        p["centre"] = centre
        if centre_value is not None:
            p["centre_value"] = centre_value
    ctx, _keep = _ctx(nthreads)
    out, n, cen = _f32p(), c_int64(), c_double(-1.0)
    c = Call()
    c.check(lib.tsct_stage_recon_memory(_ptr(s, _f32p), na, ns, nc, _ptr(th, _f64p), p.ref,
                                        ctx.ref, ctypes.byref(out), ctypes.byref(n),
                                        ctypes.byref(cen), c.err))
    try:
        shape = (n.value, n.value) + ((nc,) if s.ndim == 3 else ())
        img = np.ctypeslib.as_array(out, shape=shape).copy()
    finally:
        lib.tsct_bind_free(ctypes.cast(out, c_void_p))
    return (img, cen.value) if return_centre else img


def flat_dark(data, flat, dark=None):
    """Transmission (data - dark) / (flat - dark) of absorption projections (include/tsct/
    sino.h): data [..., n] float32, flat and dark [n] (dark None: 0), broadcast over the
    leading axes; NaN where flat - dark <= 0. Returns a new float32 array."""
    out = np.array(data, dtype=np.float32, order="C")
    n = out.shape[-1]
    f = np.ascontiguousarray(flat, dtype=np.float32)
    d = None if dark is None else np.ascontiguousarray(dark, dtype=np.float32)
    if f.shape != (n,) or (d is not None and d.shape != (n,)):
        raise ValueError("flat_dark: flat and dark must be [%d] like the last axis" % n)
    c = Call()
    rows = out.reshape(-1, n)
    for row in rows:
        c.check(lib.tsct_sino_flat_dark(_ptr(row, _f32p), n, _ptr(f, _f32p),
                                        None if d is None else _ptr(d, _f32p), None, c.err))
    return out


def neglog(data, floor=1e-6):
    """-log(max(data, floor)) of a transmission array, float32 (as ``tsct recon --log``)."""
    out = np.array(data, dtype=np.float32, order="C")
    c = Call()
    c.check(lib.tsct_sino_neglog(_ptr(out, _f32p), out.size, floor, None, c.err))
    return out


def _ctx(nthreads=0, incremental=False, command_line=None):
    log = log_sink()
    ctx = Params("tsct_stage_ctx", {"nthreads": nthreads, "incremental": int(incremental),
                                    "log": log.ref})
    if command_line:
        ctx["command_line"] = command_line
    return ctx, log


# ---- PDF -------------------------------------------------------------------------------------

class PdfResult:
    """What pdf() returns: r [nr] (A) and G [nr] (1/A^2), and on the pattern's grid q,
    S(Q) and F(Q) (NaN above qmaxinst), with the scale alpha."""

    def __init__(self, r, g, q, sq, fq, alpha):
        self.r, self.g, self.q, self.sq, self.fq, self.alpha = r, g, q, sq, fq, alpha

    def __iter__(self):
        return iter((self.r, self.g))


def pdf(q, iq, composition, qmin=0.0, qmax=0.0, qmaxinst=0.0, rmin=0.0, rmax=30.0, rstep=0.01,
        rpoly=0.9, lorch=False, scale=0.0, background=None, bgscale=1.0):
    """The pair distribution function G(r) of one pattern, as PDFgetX3 defines it and
    ``tsct pdf`` computes it (include/tsct/pdf.h; docs/pdf.md): q [nq] in 1/A (increasing),
    iq [nq] intensities, composition "CeO2"; background (on the same q) is subtracted after
    scaling by bgscale. qmax, qmaxinst 0: the end of the data. Returns a PdfResult;
    ``r, g = pdf(...)`` unpacks the r grid and G(r)."""
    qa = np.ascontiguousarray(q, dtype=np.float64)
    ia = np.array(iq, dtype=np.float64)
    if qa.ndim != 1 or ia.shape != qa.shape:
        raise ValueError("pdf: q and iq must be 1-D of one length, found %s and %s"
                         % (qa.shape, ia.shape))
    if background is not None:
        bg = np.asarray(background, dtype=np.float64)
        if bg.shape != qa.shape:
            raise ValueError("pdf: background of shape %s, expected %s" % (bg.shape, qa.shape))
        ia = ia - bgscale * bg
    p = Params("tsct_pdf_params", {"qmin": qmin, "qmax": qmax, "qmaxinst": qmaxinst,
                                   "rmin": rmin, "rmax": rmax, "rstep": rstep, "rpoly": rpoly,
                                   "lorch": int(bool(lorch)), "scale": scale})
    c = Call()
    comp, plan = c_void_p(), c_void_p()
    c.check(lib.tsct_composition_parse(ctypes.byref(comp), composition.encode(), c.err))
    try:
        c.check(lib.tsct_pdf_plan_create(p.ref, comp, _ptr(qa, _f64p), qa.size,
                                         ctypes.byref(plan), c.err))
        nr = lib.tsct_pdf_plan_nr(plan)
        r = np.ctypeslib.as_array(lib.tsct_pdf_plan_r(plan), shape=(nr,)).copy()
        g = np.empty(nr)
        sq, fq = np.empty(qa.size), np.empty(qa.size)
        alpha = c_double()
        ia = np.ascontiguousarray(ia)
        c.check(lib.tsct_pdf_execute_one(plan, _ptr(ia, _f64p), _ptr(sq, _f64p),
                                         _ptr(fq, _f64p), _ptr(g, _f64p), ctypes.byref(alpha),
                                         c.err))
        return PdfResult(r, g, qa, sq, fq, alpha.value)
    finally:
        lib.tsct_pdf_plan_destroy(plan)
        lib.tsct_composition_destroy(comp)


# ---- powder patterns -------------------------------------------------------------------------

class Pattern:
    """x (Q in 1/A, or 2theta in degrees) and the intensity y of powder_pattern()."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __iter__(self):
        return iter((self.x, self.y))


_POWDER_P = {"scale": 0, "size": 7, "u": 8, "v": 9, "w": 10, "eta": 11, "zero": 12}


def powder_pattern(cif, x, wavelength, two_theta=False, size_nm=0.0, u=0.0, v=0.0, w=1e-4,
                   eta=0.5, scale=1.0, polarization=False, neutral=False, adp=True):
    """The calculated powder pattern of the crystal in a CIF on the grid x (Q in 1/A, or
    2theta in degrees with two_theta), as ``tsct pattern`` computes it (include/tsct/powder.h;
    docs/physics.md): I = scale m |F|^2 L (P) pseudo-Voigt, Caglioti U, V, W (degrees^2) plus
    Scherrer broadening of crystallites of size_nm (0: none), eta the Lorentzian fraction.
    wavelength in A. Returns a Pattern (x, y)."""
    xa = np.ascontiguousarray(x, dtype=np.float64)
    pp = Params("tsct_powder_params", {"wavelength": wavelength,
                                       "axis": "2theta" if two_theta else "q",
                                       "polarization": "unpolarized" if polarization else "none",
                                       "neutral_atoms": int(bool(neutral)),
                                       "apply_adp": int(bool(adp))})
    c = Call()
    cr, plan = c_void_p(), c_void_p()
    c.check(lib.tsct_crystal_read_cif(ctypes.byref(cr), _path(cif), c.err))
    try:
        c.check(lib.tsct_powder_plan_create(ctypes.byref(plan), cr, _ptr(xa, _f64p), xa.size,
                                            pp.ref, c.err))
        p = np.empty(lib.tsct_powder_plan_nparams(plan))
        lib.tsct_powder_plan_default_params(plan, _ptr(p, _f64p))
        for k, val in (("scale", scale), ("size", size_nm * 10.0), ("u", u), ("v", v),
                       ("w", w), ("eta", eta)):
            p[_POWDER_P[k]] = val
        y = np.empty(xa.size)
        c.check(lib.tsct_powder_evaluate(plan, _ptr(p, _f64p), _ptr(y, _f64p), None, c.err))
        return Pattern(xa.copy(), y)
    finally:
        lib.tsct_powder_plan_destroy(plan)
        lib.tsct_crystal_destroy(cr)


TsctError = TsctError
