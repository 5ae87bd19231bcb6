#!/usr/bin/python3
"""The Python module (python/tsct) against the `tsct` program on real data, from Debian's
/usr/bin/python3 with the module taken from the source tree and libtsct from the build.

1. integrate: the Pilatus 2M CeO2 frame (nDTomo) with its PONI, with and without mask.edf,
   2000 bins: intensity and sigma equal to `tsct integrate`'s .xy bit for bit (the .xy holds
   10 significant digits, which give a float32 back exactly); q to 1e-9 relative (the .xy's
   digits of a double).
2. recon: tomopy's tooth (row 0, flat / dark, -log) reconstructed from numpy must give the
   image of `tsct recon` (same centre; max |difference| <= 1e-5 of the image's maximum: FBP
   plans its FFTs with FFTW_MEASURE, which picks an algorithm per run, so two runs of the
   program differ by about 1e-6 of the maximum too; measured 1.2e-6). SIRT of a 3-channel
   cube the same way against `tsct recon --method sirt` (1e-5).
3. pdf: PDFgetX3's Ni example (2theta, Kapton background) against `tsct pdf`'s .gr and .sq
   (their 9 significant digits: 1e-8 of the maximum).
4. powder_pattern: CeO2 (COD 9009008) at 87 keV with 50 nm crystallites against
   `tsct pattern` (the .xy's 10 digits: 1e-9 of the maximum).
5. errors: a missing PONI, a bad recon method, a stage on a missing container raise
   TsctError carrying the library's message (the file and what was expected).
6. Params are laid out by the library: every described struct's defaults read back, and the
   enum names match the library's own name functions.
"""
import ctypes
import os
import subprocess
import sys

import h5py
import numpy as np


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_check  # noqa: E402

cli_check.preload_asan()

SRC = os.environ["TSCT_SRC"]
BUILD = os.environ["TSCT_BUILD"]
TSCT = os.environ["TSCT"]
DATA = os.environ["TSCT_DATA"]
TMP = os.environ["TSCT_TMP"]
os.environ.setdefault("TSCT_LIBRARY", os.path.join(BUILD, "libtsct.so"))
sys.path.insert(0, os.path.join(SRC, "python"))
import tsct  # noqa: E402


def check(cond, msg):
    """cli_check's, with every measured figure printed, passed or not."""
    print(("ok   " if cond else "FAIL ") + msg)
    cli_check.check(cond, msg)


def run(*args):
    return cli_check.run(*[str(a) for a in args])


def integrate():
    d = os.path.join(DATA, "detector_images", "ndtomo_CeO2_Pilatus2M")
    cbf, poni, mask = (os.path.join(d, f) for f in ("CeO2.cbf", "CeO2.poni", "mask.edf"))
    for label, extra in (("negative pixels and module gaps", {}), ("mask.edf", {"mask": mask})):
        out = os.path.join(TMP, "ceo2_%d.xy" % len(extra))
        run("integrate", cbf, "-p", poni, "--npt", 2000, "-o", out,
            *(["--mask", mask] if extra else []))
        ref = np.loadtxt(out)
        q, i, s = tsct.integrate(cbf, poni, npt=2000, **extra)
        check(i.dtype == np.float32 and i.shape == (2000,), "integrate: float32 [2000]")
        check(np.array_equal(i, ref[:, 1].astype(np.float32)) and
              np.array_equal(s, ref[:, 2].astype(np.float32)),
              "integrate (%s): I and sigma equal the CLI's bit for bit (max |dI| %.3g)"
              % (label, np.abs(i - ref[:, 1]).max()))
        check(np.allclose(q, ref[:, 0], rtol=1e-9, atol=0),
              "integrate (%s): q equal the CLI's to 1e-9" % label)
    # the same from arrays: the frame read by the module, the geometry as a Poni object
    frame = tsct.read_image(cbf)
    g = tsct.read_poni(poni)
    check(frame.shape == (1679, 1475) and g.detector == "Pilatus2M" and
          abs(g.dist - 0.543892) < 1e-6, "read_image / read_poni: shape %s, %s at %.6f m"
          % (frame.shape, g.detector, g.dist))
    q2, i2, _ = tsct.integrate(frame, g, npt=2000, mask=tsct.read_image(mask))
    ref = np.loadtxt(os.path.join(TMP, "ceo2_1.xy"))
    check(np.array_equal(i2, ref[:, 1].astype(np.float32)),
          "integrate from arrays equals the CLI's bit for bit")
    # CeO2 (111) where pyFAI puts it (README: 2.0110 1/A)
    win = (q2 > 1.9) & (q2 < 2.1)
    check(abs(q2[win][np.argmax(i2[win])] - 2.011) < 0.01, "CeO2 (111) at %.4f 1/A"
          % q2[win][np.argmax(i2[win])])


def tooth():
    t = os.path.join(DATA, "tomography", "tomopy_tooth.h5")
    outs = []
    for k in range(2):
        outs.append(os.path.join(TMP, "tooth_%d.h5" % k))
        r = run("recon", t + "::/exchange/data", "--row", 0, "--angles", t + "::/exchange/theta",
                "--flat", t + "::/exchange/data_white", "--dark", t + "::/exchange/data_dark",
                "--log", "-o", outs[-1])
    refs = [h5py.File(o, "r")["data"][...] for o in outs]
    with h5py.File(t, "r") as f:
        x, th = f["exchange/data"][:, 0, :], f["exchange/theta"][...]
        fl, dk = f["exchange/data_white"][:, 0, :], f["exchange/data_dark"][:, 0, :]

    def mean(a):  # as the program averages the fields: in double, in order, then float32
        return (sum(a[i].astype(np.float64) for i in range(a.shape[0])) / a.shape[0]) \
            .astype(np.float32)

    sino = tsct.neglog(tsct.flat_dark(x, mean(fl), mean(dk)))
    img, centre = tsct.recon(sino, th, return_centre=True)
    ref = refs[0]
    top = np.abs(ref).max()
    d = np.abs(img - ref).max() / top
    self_d = np.abs(refs[1] - ref).max() / top
    check(img.shape == ref.shape and d <= 1e-5,
          "tooth from numpy vs tsct recon: %s, max |diff| / max = %.2g (two CLI runs: %.2g)"
          % (img.shape, d, self_d))
    check(abs(centre - 295.56) < 0.01, "tooth: centre %.3f as the CLI's 295.560" % centre)
    # SIRT of a 3-channel cube (the sinogram and two scaled copies), against the program
    cube = np.ascontiguousarray(np.stack([sino, 2 * sino, 0.5 * sino], axis=-1)[:, ::4, :])
    th_path = os.path.join(TMP, "cube.h5")
    with h5py.File(th_path, "w") as f:
        f["sino"], f["theta"] = cube, th
    out = os.path.join(TMP, "cube_sirt.h5")
    run("recon", th_path + "::/sino", "--angles", th_path + "::/theta", "--method", "sirt",
        "--iterations", 20, "-o", out)
    ref = h5py.File(out, "r")["data"][...]
    img = tsct.recon(cube, th, method="sirt", iterations=20)
    d = np.abs(img - ref).max() / np.abs(ref).max()
    check(img.shape == ref.shape and d <= 1e-5,
          "SIRT of a [181][160][3] cube vs tsct recon --method sirt: %s, max |diff| / max = %.2g"
          % (img.shape, d))
    check(np.allclose(img[..., 1], 2 * img[..., 0], rtol=1e-4, atol=1e-6 * np.abs(img).max()),
          "SIRT is linear per channel (channel 1 = 2 x channel 0)")


def columns(path):
    """The numeric rows of a text pattern (after any header, PDFgetX3's or Fit2D's)."""
    rows = []
    with open(path) as f:
        for line in f:
            try:
                v = [float(x) for x in line.split()]
            except ValueError:
                continue
            if len(v) >= 2:
                rows.append(v[:2])
    return np.array(rows)


def pdf():
    e = os.path.join(DATA, "pdf", "pdfgetx3_examples", "Ni")
    cfg = os.path.join(e, "pdfgetx3.cfg")
    chi = os.path.join(e, "ni300mesh_300k_nor_1-5.chi")
    run("pdf", "-c", cfg, chi, "-t", "sq,gr", "-o", TMP + "/")
    gr = columns(os.path.join(TMP, "ni300mesh_300k_nor_1-5.gr"))
    sq = columns(os.path.join(TMP, "ni300mesh_300k_nor_1-5.sq"))
    lam = 0.142774
    tth, i = columns(chi).T
    btth, b = columns(os.path.join(e, "kapton_bgrd_300k_nor_2-3.chi")).T
    q = 4 * np.pi * np.sin(0.5 * tth * np.pi / 180) / lam
    bq = 4 * np.pi * np.sin(0.5 * btth * np.pi / 180) / lam
    res = tsct.pdf(q, i, "Ni", background=np.interp(q, bq, b), qmaxinst=26.5, qmax=26.0,
                   rmin=0, rmax=30, rstep=0.01)
    r, g = res
    top = np.abs(gr[:, 1]).max()
    check(r.shape == gr[:, 0].shape and np.allclose(r, gr[:, 0], atol=1e-9),
          "pdf: the r grid of tsct pdf (%d points)" % r.size)
    d = np.abs(g - gr[:, 1]).max() / top
    check(d <= 1e-8, "pdf: G(r) of Ni vs tsct pdf's .gr: max |diff| / max = %.2g" % d)
    at = np.clip(np.searchsorted(res.q, sq[:, 0] - 1e-7), 0, res.q.size - 1)
    same_q = np.allclose(res.q[at], sq[:, 0], rtol=1e-8)
    ok = np.isfinite(sq[:, 1])
    d = np.abs(res.sq[at][ok] - sq[ok, 1]).max() / np.abs(sq[ok, 1]).max()
    check(same_q and d <= 1e-8, "pdf: S(Q) vs tsct pdf's .sq (%d Q points): max |diff| / max "
          "= %.2g" % (ok.sum(), d))
    k = np.argmax(g[(r > 2) & (r < 3)])
    check(abs(r[(r > 2) & (r < 3)][k] - 2.49) < 0.03, "Ni first shell at %.2f A (2.49)"
          % r[(r > 2) & (r < 3)][k])


def powder():
    cif = os.path.join(DATA, "cif", "CeO2_COD9009008.cif")
    out = os.path.join(TMP, "ceo2_pattern.xy")
    run("pattern", cif, "--energy", 87, "--qmax", 8, "--size", 50, "-o", out)
    ref = columns(out)
    lam = 12.398419843320026 / 87
    x, y = tsct.powder_pattern(cif, ref[:, 0], lam, size_nm=50)
    d = np.abs(y - ref[:, 1]).max() / np.abs(ref[:, 1]).max()
    check(d <= 1e-9, "powder_pattern of CeO2 vs tsct pattern (%d points): max |diff| / max = "
          "%.2g" % (x.size, d))
    win = (x > 1.9) & (x < 2.1)
    check(abs(x[win][np.argmax(y[win])] - 2.011) < 0.003, "CeO2 (111) at %.4f 1/A"
          % x[win][np.argmax(y[win])])
    # the stages of tsct pattern and tsct debye from Python: the commands' files, byte for byte
    py = os.path.join(TMP, "ceo2_pattern_py.xy")
    rep = tsct.stage.pattern(cif, py, energy=87, qmax=8, size_nm=50)
    same = open(py, "rb").read() == open(out, "rb").read()
    check(rep.ran and rep.units == ref.shape[0] and same,
          "tsct.stage.pattern writes tsct pattern's file (%d points, same bytes: %s)"
          % (rep.units, same))
    peaks = os.path.join(TMP, "ceo2_peaks_py.txt")
    rep = tsct.stage.pattern(cif, peaks, wavelength=0.5, qmax=5, peaks=1, neutral_atoms=1)
    rows = open(peaks).read().split("\n")
    check(rows[1].split()[:3] == ["1", "1", "1"] and rep.units == len(rows) - 2,
          "tsct.stage.pattern peaks: %d reflections, the first 111" % rep.units)
    cmd_iq, py_iq = os.path.join(TMP, "ceo2_cmd.iq"), os.path.join(TMP, "ceo2_py.iq")
    run("--threads", 1, "debye", cif, "--radius", 5, "--shape", "cube", "--qmax", 5, "--step",
        0.25, "-o", cmd_iq)
    rep = tsct.stage.debye(cif, py_iq, nthreads=1, radius=5, shape="cube", qmax=5, step=0.25)
    same = open(py_iq, "rb").read() == open(cmd_iq, "rb").read()
    check(rep.ran and rep.units == 21 and same,
          "tsct.stage.debye writes tsct debye's file (%d points, same bytes: %s)"
          % (rep.units, same))
    try:
        tsct.stage.debye(cif, py_iq, qmax=5)
        check(False, "debye without a radius raises")
    except tsct.TsctError as e:
        check("missing --radius" in str(e), "debye without a radius raises: %s" % e)


def errors():
    missing = os.path.join(TMP, "missing.poni")
    try:
        tsct.read_poni(missing)
        check(False, "a missing PONI raises")
    except tsct.TsctError as e:
        check(e.status_name == "not_found" and missing in str(e) and e.file == missing,
              "a missing PONI raises TsctError(not_found): %s" % e)
    try:
        tsct.recon(np.ones((10, 16), np.float32), method="art")
        check(False, "an unknown method raises")
    except ValueError as e:
        check("fbp, sirt, cgls" in str(e), "an unknown method names the known ones: %s" % e)
    try:
        tsct.recon(np.ones((10, 1), np.float32))
        check(False, "a sinogram of one position raises")
    except tsct.TsctError as e:
        check(e.status_name == "shape" and "2 translations" in str(e),
              "a sinogram of one position: %s" % e)
    c = os.path.join(TMP, "empty.h5")
    tsct.stage.import_(c, os.path.join(TMP, "tooth_0.h5") + "::/data", target="recon")
    try:
        tsct.stage.recon(c)
        check(False, "recon of a container without sinograms raises")
    except tsct.TsctError as e:
        check("/entry/sinograms" in str(e) and c in str(e),
              "recon without sinograms: %s" % e)


def params():
    lib = ctypes.CDLL(tsct.library_path)
    lib.tsct_bind_struct_count.restype = ctypes.c_int64
    n = lib.tsct_bind_struct_count()
    lib.tsct_bind_struct_at.restype = ctypes.POINTER(tsct._lib._Struct)
    names = [lib.tsct_bind_struct_at(i).contents.name.decode() for i in range(n)]
    for name in names:
        p = tsct.Params(name)
        p.as_dict()  # every field reads back
    check(n >= 25, "%d structs described, each read back" % n)
    r = tsct.Params("tsct_stage_recon_params")
    check(r["method"] == "fbp" and r["filter"] == "ramp" and r["circle"] == 1 and
          r["centre"] == "default" and r["block"] == 256,
          "recon params defaults as TSCT_STAGE_RECON_PARAMS_DEFAULT: %s" % r.as_dict())
    i = tsct.Params("tsct_stage_integrate_scan_params")
    check(i["integrate.npt"] == 2000 and np.isnan(i["integrate_polarization"]) and
          i["angle_range"] == 180.0, "nested integrate params: npt 2000, polarization NaN")
    lib.tsct_tomo_fbp_filter_name.restype = ctypes.c_char_p
    lib.tsct_integrate_split_name.restype = ctypes.c_char_p
    lib.tsct_unit_name.restype = ctypes.c_char_p
    fields = tsct._lib._layout("tsct_stage_recon_params").fields
    fbp = fields["filter"][3]
    split = tsct._lib._layout("tsct_integrate_params").fields["split"][3]
    unit = tsct._lib._layout("tsct_integrate_params").fields["unit"][3]
    check(fbp == [lib.tsct_tomo_fbp_filter_name(k).decode() for k in range(len(fbp))] and
          split == [lib.tsct_integrate_split_name(k).decode() for k in range(len(split))] and
          unit == [lib.tsct_unit_name(k).decode() for k in range(len(unit))],
          "enum names are the library's: %s; %s; %s" % (fbp, split, unit))
    try:
        r["no_such_field"] = 1
        check(False, "an unknown field raises")
    except KeyError as e:
        check("iterations" in str(e), "an unknown field names the known ones")


def refine():
    """The refinement stage from Python and from the CLI on the same configuration (the CeO2
    example of docs/refine.md): the same refined values, word for word."""
    d = os.path.join(DATA, "detector_images", "ndtomo_CeO2_Pilatus2M")
    xy = os.path.join(TMP, "refine_ceo2.xy")
    run("integrate", os.path.join(d, "CeO2.cbf"), "-p", os.path.join(d, "CeO2.poni"), "--mask",
        os.path.join(d, "mask.edf"), "-n", 3000, "-o", xy)
    cfg = os.path.join(TMP, "refine_ceo2.cfg")
    with open(cfg, "w") as f:
        f.write("[data]\nfile = %s\nponi = %s\nrange = 3 11\n[background]\nterms = 10\n"
                "[instrument]\nrefine = U V W X Y\n[phase.CeO2]\ncif = %s\nrefine = scale a B\n"
                % (xy, os.path.join(d, "CeO2.poni"),
                   os.path.join(DATA, "cif", "CeO2_COD9009008.cif")))
    run("refine", "-c", cfg, "-o", os.path.join(TMP, "cli"), "--no-png")
    rep = tsct.stage.refine(cfg, output=os.path.join(TMP, "py"), png=False)
    cli_cfg = open(os.path.join(TMP, "cli.cfg")).read()
    py_cfg = open(os.path.join(TMP, "py.cfg")).read()
    a = [line for line in py_cfg.splitlines() if line.strip().startswith("a ")]
    check(rep.ran and cli_cfg == py_cfg and a,
          "refine from Python writes the CLI's refined configuration (%s)"
          % (a[0].strip() if a else "no a"))
    try:
        tsct.stage.refine(os.path.join(TMP, "missing.cfg"))
        check(False, "refine of a missing configuration raises")
    except tsct.TsctError as e:
        check("missing.cfg" in str(e), "refine of a missing configuration raises: %s" % e)


def pipeline():
    """tsct.stage.run and `tsct run` on the same pipeline file: the Python run leaves records
    the program finds up to date (the same fingerprints), and a failing step raises naming it."""
    w = os.path.join(TMP, "pipeline")
    os.makedirs(w, exist_ok=True)
    exp = os.path.join(w, "exp.h5")
    run("simulate", "--preset", "demo", "--set", "n=24", "--set", "ns=26", "--set", "na=16",
        "--set", "nt=2", "-o", exp)
    cfg = os.path.join(w, "pipeline.cfg")
    with open(cfg, "w") as f:
        f.write("[experiment]\ncontainer = exp.h5\n[map]\nwindow = BiVO4=1.29:1.42\n")
    rep = tsct.stage.run(cfg)
    check(rep.nran == 3 and rep.nskipped == 0 and rep.container == exp,
          "tsct.stage.run: sinogram, recon and map run (%r)" % rep)
    out = run("run", cfg)
    check("0 step(s) run, 3 up to date" in out.stderr,
          "tsct run finds the Python run's steps up to date: %s" % out.stderr.strip()[-80:])
    check(tsct.stage.run(cfg).nskipped == 3, "tsct.stage.run again: all up to date")
    with open(cfg, "a") as f:
        f.write("[coverage]\nmap = nonexistent\n")
    try:
        tsct.stage.run(cfg)
        check(False, "a failing step raises")
    except tsct.TsctError as e:
        check(e.step == "coverage" and "tsct coverage" in e.line and "nonexistent" in str(e),
              "a failing step raises naming it: %s: %s" % (e.step, e))


def main():
    print("library:", tsct.library_path, tsct.version())
    pipeline()
    refine()
    integrate()
    tooth()
    pdf()
    powder()
    errors()
    params()
    cli_check.finish("test_python")


if __name__ == "__main__":
    main()
