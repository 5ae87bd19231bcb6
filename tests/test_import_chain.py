"""test_import_chain.py - data of other programs through import -> sinogram -> recon -> map.

1. pyFAI: a small simulated scan's detector frames are integrated by pyFAI itself
   (integrate1d_ng, q in nm^-1, the monitor as normalisation) and written by pyFAI's
   HDF5Writer, the layout pyFAI-integrate writes. `tsct import --layout pyfai` with the scan
   given as options (angles, translations, zigzag, energy) must hold pyFAI's numbers exactly
   (float32), q converted to 1/A (rtol 1e-6), the scan axes and attributes the sinogram step
   reads; the chain then runs with no h5py editing.
2. nDTomo: the simulator's integrated cube, rearranged as an nDTomo sinogram cube
   [translations][angles][channels] with its q beside it and the scan axes as datasets in
   other units (angles in rad, translations in um, times in min), goes through
   `tsct import --layout ndtomo`: the imported cube equals the simulator's (exactly), the
   chain's sinograms equal those of the simulator's own container bit for bit, its
   reconstruction and maps to 1e-6 (relative norm: the angles went through radians).
3. A stack of .xy files with a scan table (CSV, shuffled rows, angles in rad, positions in
   um): `tsct import --layout xy` places every file by its values, and the chain gives the
   simulator's sinograms bit for bit, its reconstruction and maps to 1e-6.
4. Bad input: a pyFAI series without angles, frames that do not fill whole scans, a 2theta
   axis without a wavelength, scan axes of the wrong length, unknown units, a table with a
   hole, a doubled place or no translation column: exit 1 naming the item, no container
   written.
"""
import configparser
import os

import fabio
import h5py
import numpy as np
import pyFAI
from pyFAI.io import HDF5Writer

from cli_check import TMP, check, finish, fresh_experiment, run

os.chdir(TMP)


def chain(exp):
    run("sinogram", exp)
    run("recon", exp)
    run("map", exp, "--total", "total", "--window", "wide=1.1:1.9")


# ---- 1: a scan integrated by pyFAI ----------------------------------------------------------
sim = fresh_experiment("sim.h5")
run("simulate", "--preset", "demo", "--level", "frames", "--set", "detector.rows=96",
    "--set", "detector.cols=96", "--set", "detector.distance_mm=60", "--set", "n=16",
    "--set", "ns=16", "--set", "na=12", "--set", "nq=40", "--set", "nt=1", "-o", sim,
    "--frames", "fr")
ini = configparser.ConfigParser(interpolation=None)
ini.read("fr/scan.ini")
sc = ini["scan"]
na, ns, npt = int(sc["angles"]), int(sc["translations"]), int(sc["npt"])
ai = pyFAI.load("fr/detector.poni")
mask = fabio.open("fr/mask.edf").data != 0
with h5py.File("fr/frames_t0000.h5", "r") as f:
    frames = f[sc["dataset"]][...]
    monitor = f[sc["monitor"]][...]
writer = HDF5Writer("pyfai.h5")
writer.init(fai_cfg={"unit": "q_nm^-1", "nbpt_rad": npt},
            lima_cfg={"number_of_frames": len(frames)})
expected = np.empty((len(frames), npt), np.float32)
for i, fr in enumerate(frames):
    res = ai.integrate1d_ng(fr.astype(np.float64), npt, unit="q_nm^-1",
                            radial_range=(10 * float(sc["qmin"]), 10 * float(sc["qmax"])),
                            mask=mask | (fr == 2**32 - 1), correctSolidAngle=True,
                            polarization_factor=float(sc["polarization"]),
                            normalization_factor=float(monitor[i]), method=("no", "histogram",
                                                                             "cython"))
    writer.write(res, index=i)
    expected[i] = res.intensity
radial = res.radial
writer.close()

exp = fresh_experiment("pyfai_exp.h5")
step = float(sc["translation_step"])
half = (ns // 2) * step
run("import", "pyfai.h5", "--layout", "pyfai", "--angles", "0:%s:%d" % (sc["angle_range"], na),
    "--translations", "%r:%r:%d" % (-half, (ns - 1 - ns // 2) * step, ns), "--zigzag",
    "--energy", sc["energy_kev"], "-o", exp)
with h5py.File(exp, "r") as f:
    got = f["entry/integrated/data"][...]
    check(got.shape == (1, 1, na, ns, npt), "pyFAI import shape %s" % (got.shape,))
    check(np.array_equal(got.reshape(-1, npt), expected), "pyFAI's intensities, exactly")
    q = f["entry/integrated/q"][...]
    check(np.allclose(q, radial / 10, rtol=1e-6, atol=0), "q from nm^-1 to 1/A")
    check(f["entry/integrated/q"].attrs["units"] == b"A^-1", "q units")
    check(np.allclose(f["entry/scan/angle"][...], np.arange(na) * float(sc["angle_range"]) / na),
          "angles")
    t = f["entry/scan/translation"][...]
    check(np.allclose(np.diff(t), step) and abs(t[ns // 2]) < 1e-12, "translations %s" % t)
    check(f["entry/scan"].attrs["zigzag"] == 1, "zigzag recorded")
    check(abs(f["entry/scan"].attrs["wavelength"] - float(sc["wavelength"]) * 1e-10) < 1e-20,
          "wavelength from the energy: %r" % f["entry/scan"].attrs["wavelength"])
chain(exp)
with h5py.File(exp, "r") as f:
    m = f["entry/maps/total"][...]
    check(m.shape[:2] == (1, 1) and np.isfinite(m).all() and m.max() > 0, "pyFAI chain: map")

# The same frames through tsct's own integration: the two reconstructions agree (pyFAI and
# tsct integrate alike: docs/integration.md).
own = fresh_experiment("own_exp.h5")
run("integrate", "fr/frames_t0000.h5::/entry/data/data", "--poni", "fr/detector.poni",
    "--mask", "fr/mask.edf", "--container", own, "--angles", str(na), "--translations",
    str(ns), "--translation-step", sc["translation_step"], "--angle-range", sc["angle_range"],
    "--zigzag", "--npt", str(npt), "--radial-range", sc["qmin"], sc["qmax"], "--polarization",
    sc["polarization"], "--monitor-dataset", sc["monitor"])
chain(own)
with h5py.File(exp, "r") as a, h5py.File(own, "r") as b:
    x, y = a["entry/recon/data"][...], b["entry/recon/data"][...]
    check(x.shape == y.shape, "shapes %s %s" % (x.shape, y.shape))
    if x.shape == y.shape:
        rel = np.linalg.norm(x - y) / np.linalg.norm(y)
        print("pyFAI-imported vs tsct-integrated reconstruction: relative difference %.2e" % rel)
        check(rel < 1e-5, "pyFAI import vs tsct integrate: %.3g" % rel)

# ---- 2: an nDTomo sinogram cube -------------------------------------------------------------
ref = fresh_experiment("ref.h5")
run("simulate", "--preset", "demo", "--set", "n=16", "--set", "ns=16", "--set", "na=12",
    "--set", "nq=40", "--set", "nt=1", "-o", ref)
with h5py.File(ref, "r") as f, h5py.File("nd.h5", "w") as g:
    cube = f["entry/integrated/data"][0, 0]                       # [na][ns][nq]
    g["data"] = np.transpose(cube, (1, 0, 2)).astype(np.float64)   # nDTomo: [ns][na][nq]
    g["q"] = f["entry/integrated/q"][...]
    g["scan/angle"] = np.radians(f["entry/scan/angle"][...])
    g["scan/angle"].attrs["units"] = "rad"
    g["scan/trans"] = f["entry/scan/translation"][...] * 1000
    g["scan/trans"].attrs["units"] = "um"
    g["scan/t"] = f["entry/scan/time"][...] / 60
    zig = int(f["entry/scan"].attrs["zigzag"])
nd = fresh_experiment("nd_exp.h5")
args = ["import", "nd.h5::/data", "--layout", "ndtomo", "-s", "integrated", "--angles",
        "::/scan/angle", "--translations", "::/scan/trans", "--times", "::/scan/t",
        "--time-units", "min", "-o", nd] + (["--zigzag"] if zig else [])
run(*args)
with h5py.File(nd, "r") as a, h5py.File(ref, "r") as b:
    check(np.array_equal(a["entry/integrated/data"][...], b["entry/integrated/data"][...]),
          "nDTomo cube imported exactly")
    for k in ("angle", "translation", "time"):
        check(np.allclose(a["entry/scan/" + k][...], b["entry/scan/" + k][...], rtol=1e-12),
              "scan %s converted" % k)
chain(nd)
chain(ref)


def same_chain(a, b, what):
    """The sinograms bit for bit; the reconstruction and maps to float32 rounding, as the
    angles went through radians and back."""
    check(np.array_equal(a["entry/sinograms/data"][...], b["entry/sinograms/data"][...],
                         equal_nan=True), "%s chain: sinograms" % what)
    for k in ("entry/recon/data", "entry/maps/total", "entry/maps/wide"):
        x, y = np.nan_to_num(a[k][...]), np.nan_to_num(b[k][...])
        rel = np.linalg.norm(x - y) / np.linalg.norm(y)
        print("%s chain: %s relative difference %.2e" % (what, k, rel))
        check(rel < 1e-6, "%s chain: %s differs by %.3g" % (what, k, rel))


with h5py.File(nd, "r") as a, h5py.File(ref, "r") as b:
    same_chain(a, b, "nDTomo")

# ---- 3: a stack of .xy files with a scan table -----------------------------------------------
# The simulator's frames as text patterns, one file per (angle, translation), listed by a CSV
# in shuffled order with each file's real position (snake rows: recorded backwards), so the
# import must place them by value.
os.makedirs("xy", exist_ok=True)
rows = []
with h5py.File(ref, "r") as f:
    cube = f["entry/integrated/data"][0, 0]
    q = f["entry/integrated/q"][...]
    ang, tr = f["entry/scan/angle"][...], f["entry/scan/translation"][...]
    for a in range(cube.shape[0]):
        for j in range(cube.shape[1]):
            pos = ns - 1 - j if zig and a % 2 else j
            name = "p_%02d_%02d.xy" % (a, j)
            with open(os.path.join("xy", name), "w") as g:
                g.write("# q_A^-1 I\n")
                g.writelines("%.17g %.9g\n" % (q[k], cube[a, j, k]) for k in range(len(q)))
            rows.append("%s,%.17g,%.17g,0\n" % (name, np.radians(ang[a]), tr[pos] * 1000))
np.random.default_rng(1).shuffle(rows)
with open("xy/scan.csv", "w") as g:
    g.write("# one pattern per line\nfile,angle,translation,time\n" + "".join(rows))
xy = fresh_experiment("xy_exp.h5")
run("import", "xy/scan.csv", "--layout", "xy", "--angle-units", "rad", "--translation-units",
    "um", "-o", xy)
chain(xy)
with h5py.File(xy, "r") as a, h5py.File(ref, "r") as b:
    check(a["entry/scan"].attrs["zigzag"] == 0, "xy: stored in standard order")
    check(np.allclose(a["entry/scan/angle"][...], b["entry/scan/angle"][...], rtol=1e-12),
          "xy: angles from the table")
    same_chain(a, b, "xy")

# ---- 4: bad input ---------------------------------------------------------------------------
bad = "bad.h5"
with open("xy/scan.csv") as f:
    lines = f.read().splitlines(True)
for name, text in (("holes.csv", lines[:-1]), ("twice.csv", lines + lines[-1:]),
                   ("nohead.csv", ["file,angle\n", "a.xy,0\n"])):
    with open(os.path.join("xy", name), "w") as f:
        f.writelines(text)
for args, words in (
        (["pyfai.h5", "--layout", "pyfai"], ["pyfai.h5", "angles"]),
        (["pyfai.h5", "--layout", "pyfai", "--angles", "0:180:7", "--translations", "0:1:16"],
         ["192 frames", "7 angles"]),
        (["nd.h5::/data", "--layout", "ndtomo", "-s", "integrated", "--angles", "0:180:11"],
         ["11 angles", "12"]),
        (["nd.h5::/data", "--layout", "ndtomo", "-s", "integrated", "-u", "2th_deg"],
         ["wavelength"]),
        (["nd.h5::/data", "--layout", "ndtomo", "-s", "integrated", "--angles",
          "::/scan/angle", "--angle-units", "grad"], ["grad", "deg"]),
        (["nd.h5", "--layout", "ndtomo"], ["nd.h5", "FILE.h5::"]),
        (["xy/holes.csv", "--layout", "xy"], ["holes.csv", "no pattern for", "translation"]),
        (["xy/twice.csv", "--layout", "xy"], ["twice.csv", "a second pattern"]),
        (["xy/nohead.csv", "--layout", "xy"], ["nohead.csv", "column 'translation'"])):
    r = run("import", *args, "-o", bad, status=1)
    check(all(w in r.stderr for w in words) and r.stderr.count("\n") <= 2,
          "%s: %s" % (words, r.stderr))
    check(not os.path.exists(bad), "a refused import wrote %s" % bad)

finish("test_import_chain")
