"""test_calibrate_peer.py - `tsct calibrate` end to end, with pyFAI 0.21 as the peer:
 - simulated CeO2 frames of known geometry (`tsct simulate --calibrant`: a Pilatus 1M tilted
   by several degrees with the beam off the detector and a rough guess, and one with the beam
   on the detector and no guess): pyFAI loads every PONI written, and its 2theta array agrees
   with the truth's within 0.001 deg on every pixel;
 - pyFAI's integrate1d_ng with the written PONI and `tsct integrate` with it give the same
   pattern (1e-5 relative in every non-empty bin, the tolerance of test_integrate_cli_peer.py);
 - the real CeO2 Pilatus 1M TIFF (--flip-vertical, no guess): pyFAI loads the PONI, 2theta within
   0.008 deg of the shipped PONI's; the PNG shows the points (red) and rings (yellow);
 - the same frame from --beam-centre and --distance, with the calibrant from a CIF and from
   pyFAI's CeO2.D;
 - bad input: the wrong calibrant, a wavelength 10 % off (a warning with the residual, exit
   status 1, no PONI written), a frame without rings, a missing file, usage errors."""
import logging
import os
import subprocess
import sys

import numpy as np

logging.disable(logging.WARNING)
import fabio  # noqa: E402
import pyFAI  # noqa: E402

tsct = os.environ["TSCT"]
data = os.path.join(os.environ["TSCT_DATA"], "detector_images")
tmp = os.path.join(os.environ["TSCT_TMP"], "calibrate_peer")
os.makedirs(tmp, exist_ok=True)
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += not ok


def run(args, want=0):
    p = subprocess.run([tsct] + args, capture_output=True, text=True)
    if p.returncode != want:
        print(p.stdout, p.stderr)
    return p


def poni_file(path, **g):
    with open(path, "w") as f:
        f.write("Detector: Pilatus1M\n")
        for k in ("Distance", "Poni1", "Poni2", "Rot1", "Rot2", "Rot3", "Wavelength"):
            f.write("%s: %r\n" % (k, g[k]))


cases = [
    # tilted, beam centre off the detector, started from a rough guess
    ("tilted", dict(Distance=0.62, Poni1=0.21, Poni2=-0.02, Rot1=0.09, Rot2=-0.06, Rot3=0.3,
                    Wavelength=0.35e-10),
     dict(Distance=0.625, Poni1=0.2106, Poni2=-0.0195, Rot1=0.0905, Rot2=-0.0604, Rot3=0.3,
          Wavelength=0.35e-10)),
    # beam centre on the detector, no guess
    ("centred", dict(Distance=0.31, Poni1=0.095, Poni2=0.081, Rot1=-0.012, Rot2=0.02, Rot3=0.0,
                     Wavelength=0.4e-10), None),
]
for name, truth, guess in cases:
    tp = os.path.join(tmp, name + "_truth.poni")
    poni_file(tp, **truth)
    frame = os.path.join(tmp, name + ".cbf")
    p = run(["simulate", "--calibrant", "CeO2", "--poni", tp, "--fwhm", "0.04", "--seed", "5",
             "-o", frame])
    check(p.returncode == 0, "%s: simulated frame" % name)
    out = os.path.join(tmp, name + ".poni")
    args = ["calibrate", frame, "-c", "CeO2", "-d", "Pilatus1M", "-w", "%.6f" % (
        truth["Wavelength"] * 1e10), "-o", out]
    if guess:
        gp = os.path.join(tmp, name + "_guess.poni")
        poni_file(gp, **guess)
        args += ["--poni", gp]
    p = run(args)
    check(p.returncode == 0 and os.path.exists(out), "%s: calibrated (%s)" % (
        name, p.stdout.strip().splitlines()[-1] if p.stdout else p.stderr.strip()))
    if not os.path.exists(out):
        continue
    ai = pyFAI.load(out)
    ref = pyFAI.load(tp)
    check(type(ai.detector).__name__ == "Pilatus1M" and tuple(ai.detector.max_shape) == (1043, 981),
          "%s: pyFAI loads the PONI with the detector (%s)" % (name, type(ai.detector).__name__))
    d = np.degrees(np.abs(ai.twoThetaArray() - ref.twoThetaArray())).max()
    check(d < 0.001, "%s: 2theta of every pixel within 0.001 deg of the truth (worst %.6f)"
          % (name, d))
    # the same pattern from pyFAI and from tsct integrate with the written PONI
    xy = os.path.join(tmp, name + ".xy")
    p = run(["integrate", frame, "--poni", out, "-o", xy, "-n", "800"])
    mine = np.loadtxt(xy)
    img = fabio.open(frame).data.astype(np.float32)
    m = (img < 0) | (ai.detector.mask != 0)
    r = ai.integrate1d_ng(img, 800, mask=m, error_model="poisson", unit="q_A^-1",
                          method=("no", "histogram", "cython"))
    ok = r.count > 0
    worst = np.abs(mine[ok, 1] / r.intensity[ok] - 1).max()
    check(worst <= 1e-5 and np.abs(mine[:, 0] / r.radial - 1).max() <= 1e-7,
          "%s: tsct integrate = pyFAI integrate1d_ng with the PONI (worst %.2g)" % (name, worst))

# The centred frame again from a beam centre and distance, with the calibrant from a CIF (the
# COD cerianite, a = 5.4110 A: 0.012 % smaller than SRM 674b, so the rings' 2theta are larger
# and the distance comes out 0.012 % shorter) and from pyFAI's CeO2.D.
frame = os.path.join(tmp, "centred.cbf")
truth = pyFAI.load(os.path.join(tmp, "centred_truth.poni"))
cif = os.path.join(os.environ["TSCT_DATA"], "cif", "CeO2_COD9009008.cif")
dfile = os.path.join(os.environ["TSCT_DATA"], "calibrant_dspacing", "CeO2.D")
for cal, scale in ((cif, 5.4110 / 5.411651), (dfile, 1.0)):
    out = os.path.join(tmp, "centred_%s.poni" % os.path.basename(cal))
    f2d = truth.getFit2D()   # the beam centre (pixels) and the distance along the beam (mm)
    p = run(["calibrate", frame, "-c", cal, "-d", "Pilatus1M", "-w", "0.4", "--beam-centre",
             "%.3f" % (f2d["centerX"] + 3), "%.3f" % (f2d["centerY"] - 2), "--distance",
             "%.4f" % (f2d["directDist"] * 1e-3 * 0.98), "-o", out])
    ok = p.returncode == 0 and os.path.exists(out)
    dist = pyFAI.load(out).dist if ok else float("nan")
    check(ok and abs(dist / (truth.dist * scale) - 1) < 1e-4,
          "--beam-centre and --distance, calibrant %s: distance %.6f m (expected %.6f)"
          % (os.path.basename(cal), dist, truth.dist * scale))

# The real CeO2 Pilatus 1M frame, no guess, with a PNG.
out = os.path.join(tmp, "dioptas.poni")
png = os.path.join(tmp, "dioptas.png")
p = run(["calibrate", os.path.join(data, "dioptas_CeO2_Pilatus1M/CeO2_Pilatus1M.tif"),
         "--flip-vertical", "-c", "CeO2", "-d", "Pilatus1M", "--energy", "%.6f" % (
             12.398419843320026 / 0.4066), "-o", out, "--png", png])
check(p.returncode == 0, "Dioptas CeO2 frame calibrated without a guess")
if os.path.exists(out):
    ai = pyFAI.load(out)
    ref = pyFAI.load(os.path.join(data, "dioptas_CeO2_Pilatus1M/CeO2_Pilatus1M.poni"))
    img = fabio.open(os.path.join(data, "dioptas_CeO2_Pilatus1M/CeO2_Pilatus1M.tif")).data
    valid = np.flipud(img) >= 0
    d = np.degrees(np.abs(ai.twoThetaArray() - ref.twoThetaArray(shape=img.shape)))[valid].max()
    check(d < 0.008, "Dioptas frame: 2theta within 0.008 deg of the shipped PONI (worst %.5f)"
          % d)
check(os.path.exists(png) and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n",
      "the PNG of points and rings is written")
if os.path.exists(png):
    from PIL import Image
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    red = ((abs(rgb[..., 0] - 230) < 20) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)).sum()
    yellow = ((rgb[..., 0] > 235) & (abs(rgb[..., 1] - 204) < 25) & (rgb[..., 2] < 40)).sum()
    check(red > 1000 and yellow > 500, "the PNG shows the control points in red (%d pixels) "
          "and the calculated rings in yellow (%d pixels)" % (red, yellow))

# Bad input.
frame = os.path.join(tmp, "centred.cbf")
bad = os.path.join(tmp, "bad.poni")
p = run(["calibrate", frame, "-c", "LaB6", "-d", "Pilatus1M", "-w", "0.4", "-o", bad], want=1)
check(p.returncode == 1 and not os.path.exists(bad) and
      ("RMS residual" in p.stderr or "do not match" in p.stderr),
      "wrong calibrant: exit 1, no PONI, says why: %s" % p.stderr.strip().splitlines()[0])
p = run(["calibrate", frame, "-c", "CeO2", "-d", "Pilatus1M", "-w", "0.44", "-o", bad], want=1)
check(p.returncode == 1 and not os.path.exists(bad) and "RMS residual" in p.stderr,
      "wavelength 10 %% off: exit 1 with the residual: %s" % p.stderr.strip().splitlines()[0])
p = run(["calibrate", frame, "-c", "CeO2", "-d", "Pilatus1M", "-w", "0.44", "-o", bad,
         "--accept-misfit"])
check(p.returncode == 0 and os.path.exists(bad) and "warning" in p.stderr,
      "--accept-misfit writes it with the warning")
noise = os.path.join(tmp, "noise.npy")
np.save(noise, np.random.default_rng(1).poisson(50, (1043, 981)).astype(np.float32))
p = run(["calibrate", noise, "-c", "CeO2", "-d", "Pilatus1M", "-w", "0.4", "-o", bad + "2"],
        want=1)
check(p.returncode == 1 and "no calibrant rings found" in p.stderr,
      "no rings: %s" % p.stderr.strip())
p = run(["calibrate", os.path.join(tmp, "missing.cbf"), "-c", "CeO2", "-d", "Pilatus1M",
         "-w", "0.4", "-o", bad + "3"], want=1)
check(p.returncode == 1 and "missing.cbf" in p.stderr, "missing image named")
p = run(["calibrate", frame, "-c", "CeO2", "-d", "Pilatus1M", "-o", bad + "4"], want=2)
check(p.returncode == 2 and "wavelength" in p.stderr, "no wavelength: usage error")
p = run(["calibrate", frame, "-c", "CeO2", "-d", "Pilatus1M", "-w", "0.4", "--refine",
         "dist,rot3", "-o", bad + "5"], want=1)
check(p.returncode == 1 and "rot3" in p.stderr, "rot3 refused")
p = run(["calibrate", frame, "-c", "CeO2", "-d", "Pilatus2M", "-w", "0.4", "-o", bad + "6"],
        want=1)
check(p.returncode == 1 and "Pilatus2M" in p.stderr, "image shape against the detector")
sys.exit(1 if failures else 0)
