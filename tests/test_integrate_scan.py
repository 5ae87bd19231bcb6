"""test_integrate_scan.py - `tsct integrate --container`: the frames of a whole scan (an HDF5
stack) into /entry/integrated, compared frame by frame with pyFAI 0.21's integrate1d_ng
("no","histogram","cython") on the same frames (1e-5 relative in every non-empty bin); the
scan axes, zigzag flag, geometry and provenance; an operando append with --time-offset; and
errors for a scan description that does not fit the frames."""
import logging
import os
import subprocess
import sys

import h5py
import numpy as np

logging.disable(logging.WARNING)
import pyFAI  # noqa: E402

from cli_check import TMP, TSCT, check, failures, run


rows, cols = 60, 70
poni = os.path.join(TMP, "det.poni")
with open(poni, "w") as f:
    f.write("poni_version: 2\nDetector: Detector\n"
            'Detector_config: {"pixel1": 0.0002, "pixel2": 0.0002, "max_shape": [60, 70]}\n'
            "Distance: 0.05\nPoni1: 0.0061\nPoni2: 0.0069\nRot1: 0.02\nRot2: -0.01\nRot3: 0.0\n"
            "Wavelength: 1.5e-11\n")
ai = pyFAI.load(poni)
q = ai.array_from_unit((rows, cols), "center", "q_A^-1", scale=True)
na, ns, nt = 4, 5, 3
rng = np.random.default_rng(3)
frames = np.empty((nt * na * ns, rows, cols), np.float32)
for k in range(frames.shape[0]):
    ring = 1000 * (1 + 0.1 * (k % 7)) * np.exp(-0.5 * ((q - (2.0 + 0.05 * (k % 5))) / 0.2) ** 2)
    frames[k] = np.round(100 + ring + rng.normal(0, 3, ring.shape))
frames[:, 10:12, :] = -1  # a module gap
stack = os.path.join(TMP, "stack.h5")
with h5py.File(stack, "w") as f:
    f.create_dataset("entry/data/data", data=frames, chunks=(1, rows, cols), compression="gzip")
exp = os.path.join(TMP, "exp.h5")
if os.path.exists(exp):
    os.remove(exp)
npt = 120
# The first two time steps, then the third appended as operando data arrive.
run("integrate", stack + "::/entry/data/data[0:40]", "--poni", poni, "--container", exp,
    "--angles", str(na), "--translations", str(ns), "--zigzag", "-n", str(npt),
    "--translation-step", "0.05")
run("integrate", stack + "::/entry/data/data[40:60]", "--poni", poni, "--container", exp,
    "--angles", str(na), "--translations", str(ns), "--zigzag", "-n", str(npt),
    "--translation-step", "0.05", "--time-offset", "2")
mask = (frames[0] < 0).astype(np.int8)
with h5py.File(exp, "r") as f:
    data = f["entry/integrated/data"][...]
    sigma = f["entry/integrated/sigma"][...]
    qax = f["entry/integrated/q"][...]
    check(data.shape == (nt, 1, na, ns, npt), "cube shape %s" % (data.shape,))
    check(f["entry/scan"].attrs["zigzag"] == 1, "zigzag flag")
    check(np.allclose(f["entry/scan/angle"][...], [0, 45, 90, 135]), "angles")
    check(np.allclose(f["entry/scan/translation"][...], (np.arange(ns) - ns // 2) * 0.05),
          "translations")
    g = f["entry/geometry"].attrs
    check(abs(g["dist"] - 0.05) < 1e-12 and list(g["shape"]) == [rows, cols], "geometry")
    check(f["entry/process/integrate"].attrs["status"] == b"complete", "provenance")
    worst = 0.0
    for k in range(nt * na * ns):
        t, a, s = k // (na * ns), k // ns % na, k % ns
        res = ai.integrate1d_ng(frames[k], npt, unit="q_A^-1", method=("no", "histogram", "cython"),
                                correctSolidAngle=True, mask=mask, error_model="poisson")
        check(np.allclose(qax, res.radial, rtol=0, atol=1e-9 * res.radial.max()),
              "bin centres") if k == 0 else None
        nz = res.sum_normalization > 0 if hasattr(res, "sum_normalization") else res.intensity != 0
        ref, got = res.intensity, data[t, 0, a, s]
        rel = np.abs(got - ref)[nz] / np.maximum(np.abs(ref[nz]), 1e-12)
        worst = max(worst, rel.max())
        srel = np.abs(sigma[t, 0, a, s] - res.sigma)[nz] / np.maximum(res.sigma[nz], 1e-12)
        worst = max(worst, srel.max())
    print("worst relative difference from pyFAI over %d frames: %.2e" % (nt * na * ns, worst))
    check(worst < 1e-5, "frame by frame within 1e-5 of pyFAI (%.2e)" % worst)

r = run("integrate", stack + "::/entry/data/data[0:7]", "--poni", poni, "--container",
        os.path.join(TMP, "bad.h5"), "--angles", "2", "--translations", "3", status=1)
check("7 frames are not a whole number of time steps of 1 slices x 2 angles x 3 translations"
      in r.stderr, r.stderr)
r = run("integrate", stack + "::/entry/data/data", "--poni", poni, "--container", exp,
        "-o", "x.xy", "--angles", "2", "--translations", "3", status=2)
check("exclude each other" in r.stderr, r.stderr)
r = run("integrate", stack + "::/entry/data/data", "--poni", poni, "--container", exp, status=2)
check("--angles N and --translations NS" in r.stderr, r.stderr)
print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
