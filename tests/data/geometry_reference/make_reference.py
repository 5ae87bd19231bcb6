#!/usr/bin/python3
"""Per-pixel geometry from pyFAI, at sampled pixels, for tests/test_geometry.c.

Writes reference.txt next to this script (or into the folder given as argument). For six
geometries (the four real PONI files of tests/data and two synthetic, strongly tilted ones)
and 48 pixels each (the four detector corners and 44 random ones, fixed seed):

  geometry NAME DIST PONI1 PONI2 ROT1 ROT2 ROT3 WAVELENGTH PIXEL1 PIXEL2 ROWS COLS
  pixel I J TTH_RAD CHI_RAD Q_NM R_MM SOLID_ANGLE POLARIZATION
  corner I J Q0 CHI0 Q1 CHI1 Q2 CHI2 Q3 CHI3

TTH, Q (1/nm) and R (mm, from metres) are pyFAI's Geometry.center_array (float64 positions), CHI is
chiArray, SOLID_ANGLE is solidAngleArray (cos^3 of the incidence angle), POLARIZATION is
polarization(factor=0.95, axis_offset=0.3) (float32 in pyFAI), and the corners are
corner_array(unit="q_nm^-1") in pyFAI's corner order (i, j), (i+1, j), (i+1, j+1), (i, j+1).
Numbers are repr() so strtod reads back the same doubles.
tests/test_geometry_peer.py reruns this with pyFAI and checks the committed file.
"""
import logging
import os
import sys

import numpy as np

logging.disable(logging.WARNING)
import pyFAI  # noqa: E402
from pyFAI.azimuthalIntegrator import AzimuthalIntegrator  # noqa: E402
from pyFAI.detectors import Detector  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
PONIS = [
    ("ceo2_pilatus2m", "detector_images/ndtomo_CeO2_Pilatus2M/CeO2.poni", None),
    ("ceo2_pilatus1m", "detector_images/dioptas_CeO2_Pilatus1M/CeO2_Pilatus1M.poni", (1043, 981)),
    ("lab6_pilatus300kw", "detector_images/ssrl_LaB6_Pilatus300kw/b_toney_lab6_th3_scan1_0008.poni",
     (195, 1475)),
    ("pixium", "detector_images/lightform_Pixium_DLS_I12/DLS_CeO2_1200mm_pyFAI.poni", (1441, 1440)),
]
SYNTHETIC = [
    # name, dist, poni1, poni2, rot1, rot2, rot3, wavelength, pixel1, pixel2, rows, cols
    ("tilted", 0.25, 0.03, -0.01, 0.3, -0.2, 0.5, 0.7e-10, 100e-6, 150e-6, 300, 400),
    ("rot3_offcentre", 0.8, -0.05, 0.12, 0.0, 0.0, 1.2, 1.5e-10, 172e-6, 172e-6, 195, 487),
]


def r(x):
    return repr(float(x))


def emit(out, name, ai, shape, rng):
    rows, cols = shape
    out.append(" ".join(["geometry", name] + [r(v) for v in (
        ai.dist, ai.poni1, ai.poni2, ai.rot1, ai.rot2, ai.rot3, ai.wavelength,
        ai.detector.pixel1, ai.detector.pixel2)] + [str(rows), str(cols)]))
    tth = ai.center_array(shape, unit="2th_rad", scale=False)
    q = ai.center_array(shape, unit="q_nm^-1", scale=False)
    # scale=True would multiply only column 0 (center_array scales tmp[..., 0]): scale here.
    rmm = ai.center_array(shape, unit="r_mm", scale=False) * 1000.0
    chi = ai.chiArray(shape)
    sa = ai.solidAngleArray(shape)
    pol = ai.polarization(shape, factor=0.95, axis_offset=0.3)
    corners = ai.corner_array(shape, unit="q_nm^-1", scale=False)
    picks = [(0, 0), (0, cols - 1), (rows - 1, 0), (rows - 1, cols - 1)]
    picks += [(int(rng.integers(rows)), int(rng.integers(cols))) for _ in range(44)]
    for i, j in picks:
        out.append(" ".join(["pixel", str(i), str(j)] + [r(a[i, j]) for a in (
            tth, chi, q, rmm, sa, pol)]))
        c = corners[i, j]
        out.append(" ".join(["corner", str(i), str(j)] + [r(c[k, m]) for k in range(4)
                                                          for m in range(2)]))


def main(path):
    rng = np.random.default_rng(20261122)
    out = ["# pyFAI %s per-pixel geometry; see make_reference.py" % pyFAI.version]
    for name, poni, shape in PONIS:
        ai = pyFAI.load(os.path.join(DATA, poni))
        emit(out, name, ai, shape or ai.detector.shape, rng)
    for name, dist, p1, p2, r1, r2, r3, wl, px1, px2, rows, cols in SYNTHETIC:
        det = Detector(pixel1=px1, pixel2=px2, max_shape=(rows, cols))
        ai = AzimuthalIntegrator(dist=dist, poni1=p1, poni2=p2, rot1=r1, rot2=r2, rot3=r3,
                                 wavelength=wl, detector=det)
        emit(out, name, ai, (rows, cols), rng)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(os.path.join(sys.argv[1] if len(sys.argv) > 1 else HERE, "reference.txt"))
