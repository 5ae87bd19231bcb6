"""test_run_calibrant.py - `tsct run` with a calibrant frame in place of a PONI.

A CeO2 frame is simulated on a 512 x 512 detector (100 um pixels, 0.2 m, tilted, 0.1 A) and a
scan of 16 frames (2 angles x 8 translations) made of it with Poisson noise. Two pipelines
integrate the scan: one with the true PONI, one with [frames] calibrant_image = the CeO2 frame
and no PONI. The second calibrates first (calibration.poni beside the pipeline file, a note in
it saying what it was made from), then integrates with it: its 2theta of every pixel within
0.002 deg of the truth's and its patterns equal to the first pipeline's (correlation >=
0.9999, worst difference <= 3 % of the maximum, on the steep flanks of the peaks). A second run
does nothing; a new calibrant frame (another time stamp) calibrates and integrates again; a
calibrant_image without a calibrant is refused naming the key; a scan.ini's PONI is never
overwritten.
"""
import os
import shutil
import time

import fabio
import h5py
import numpy as np
import pyFAI

from cli_check import TMP, TSCT, check, finish, run

W = os.path.join(TMP, "run_calibrant")
shutil.rmtree(W, ignore_errors=True)
os.makedirs(os.path.join(W, "frames"))
TRUTH = """poni_version: 2
Detector: Detector
Detector_config: {"pixel1": 0.0001, "pixel2": 0.0001, "max_shape": [512, 512]}
Distance: 0.2
Poni1: 0.02571
Poni2: 0.02533
Rot1: 0.004
Rot2: -0.003
Rot3: 0
Wavelength: 1e-11
"""
truth = os.path.join(W, "truth.poni")
with open(truth, "w") as f:
    f.write(TRUTH)
ceo2 = os.path.join(W, "ceo2.cbf")
run("simulate", "--calibrant", "CeO2", "--poni", truth, "-o", ceo2)
frame = fabio.open(ceo2).data.astype(np.float32)
rng = np.random.default_rng(7)
with h5py.File(os.path.join(W, "frames", "frames_t0000.h5"), "w") as f:
    f["/entry/data/data"] = rng.poisson(np.tile(frame, (16, 1, 1))).astype(np.float32)
SCAN = "frames = frames/frames_t%%04d.h5\nangles = 2\ntranslations = 8\nnpt = 400\n%s"


def pipeline(name, extra):
    cfg = os.path.join(W, name + ".cfg")
    with open(cfg, "w") as f:
        f.write("[experiment]\ncontainer = %s.h5\n\n[frames]\n%s\n" % (name, SCAN % extra))
    return cfg


def two_theta(path):
    """pyFAI's 2theta of every pixel (degrees) for a PONI file."""
    return np.degrees(pyFAI.load(path).twoThetaArray((512, 512)))


plain = pipeline("plain", "poni = truth.poni\n")
run("run", plain)
cal_cfg = pipeline("cal", "calibrant_image = ceo2.cbf\ncalibrant = CeO2\ndetector = Detector\n"
                   "pixel_um = 100\nwavelength = 0.1\n")
r = run("run", cal_cfg)
check("calibrate  done" in r.stderr, "the first run calibrates: %s" % r.stderr[-400:])
made = os.path.join(W, "calibration.poni")
check(os.path.exists(made), "calibration.poni is written beside the pipeline file")
if os.path.exists(made):
    check("# Written by tsct: calibration of ceo2.cbf, settings " in open(made).read(),
          "the PONI's note says what it was made from")
    worst = np.abs(two_theta(made) - two_theta(truth)).max()
    print("calibrated 2theta: worst pixel %.5f deg from the truth" % worst)
    check(worst <= 0.002, "2theta within 0.002 deg of the truth (%.5f)" % worst)
with h5py.File(os.path.join(W, "plain.h5"), "r") as a, \
        h5py.File(os.path.join(W, "cal.h5"), "r") as b:
    ia = a["/entry/integrated/data"][()].ravel()
    ib = b["/entry/integrated/data"][()].ravel()
    ok = ia.shape == ib.shape
    check(ok, "same integrated shape")
    if ok:
        good = np.isfinite(ia) & np.isfinite(ib)
        corr = np.corrcoef(ia[good], ib[good])[0, 1]
        diff = np.abs(ia[good] - ib[good]).max() / np.abs(ia[good]).max()
        print("integrated with the calibration: correlation %.6f, worst difference %.3g of "
              "the maximum" % (corr, diff))
        check(corr >= 0.9999 and diff <= 0.03, "patterns equal to the true PONI's")

r = run("run", cal_cfg)
check("calibrate  up to date" in r.stderr and "integrate  up to date" in r.stderr,
      "a second run does nothing: %s" % r.stderr[-400:])
time.sleep(0.05)
os.utime(ceo2, None)  # a new calibrant frame (same pixels, another time stamp)
r = run("run", cal_cfg)
check("calibrate  done" in r.stderr and "integrate  done" in r.stderr,
      "a new calibrant frame calibrates and integrates again: %s" % r.stderr[-600:])

bad = pipeline("bad", "calibrant_image = ceo2.cbf\ndetector = Detector\nwavelength = 0.1\n")
r = run("run", bad, status=1)
check("calibrant_image" in r.stderr and "needs calibrant" in r.stderr,
      "a calibrant_image without a calibrant is refused: %s" % r.stderr.strip())
finish("test_run_calibrant")
