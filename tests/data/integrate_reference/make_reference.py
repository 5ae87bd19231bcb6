#!/usr/bin/python3
"""Azimuthal integration by pyFAI 0.21, for tests/test_integrate.c.

Writes reference.txt next to this script (or to the path given as argument). Each case is

  case name=NAME image=PATH|synthetic flip=0|1 mask=PATH|none negmask=0|1 poni=PATH|inline
       [dist=.. poni1=.. poni2=.. rot1=.. rot2=.. rot3=.. wavelength=.. pixel1=.. pixel2=..
       rows=.. cols=..] npt=N unit=U method=no|bbox|full filter=mean|sigma thres=T iter=K
       pol=F|nan sa=0|1 rmin=..|nan rmax=.. amin=..|nan amax=.. monitor=M dark=0|1 flat=0|1
  bin RADIAL INTENSITY SIGMA COUNT          (npt lines)
  end

Paths are relative to tests/data. Images are read with fabio (flip=1: numpy.flipud, the
Dioptas convention); mask = the mask file's non-zero pixels, negmask=1 adds the pixels < 0
(Pilatus gaps). The synthetic frame, dark and flat are integer formulas (synthetic() below)
that tests/test_integrate.c evaluates identically. Every pattern is pyFAI's integrate1d_ng
with error_model="poisson" and method (METHOD, "histogram", "cython") for "no",
(METHOD, "csr", "cython") otherwise; filter=sigma is sigma_clip_ng(method=("no", "csr",
"cython"), thres, max_iter, error_model="poisson") with an explicit radial range, so its
bins are those of the histogram. COUNT is pyFAI's per-bin pixel count (sum of weights).
Numbers are repr() so strtod reads back the same doubles.
tests/test_integrate_peer.py reruns this with pyFAI and checks the committed file.
"""
import logging
import os
import sys

import numpy as np

logging.disable(logging.WARNING)
import fabio  # noqa: E402
import pyFAI  # noqa: E402
from pyFAI.azimuthalIntegrator import AzimuthalIntegrator  # noqa: E402
from pyFAI.detectors import Detector  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)
NAN = float("nan")

PIL2M = dict(image="detector_images/ndtomo_CeO2_Pilatus2M/CeO2.cbf", flip=0,
             mask="detector_images/ndtomo_CeO2_Pilatus2M/mask.edf", negmask=1,
             poni="detector_images/ndtomo_CeO2_Pilatus2M/CeO2.poni")
DIOPTAS = dict(image="detector_images/dioptas_CeO2_Pilatus1M/CeO2_Pilatus1M.tif", flip=1,
               mask="none", negmask=1,
               poni="detector_images/dioptas_CeO2_Pilatus1M/CeO2_Pilatus1M.poni")
SSRL = dict(image="detector_images/ssrl_LaB6_Pilatus300kw/b_toney_lab6_th3_scan1_0008.tif",
            flip=0, mask="none", negmask=1,
            poni="detector_images/ssrl_LaB6_Pilatus300kw/b_toney_lab6_th3_scan1_0008.poni")
PIXIUM = dict(image="detector_images/lightform_Pixium_DLS_I12/pixium_03150.tif", flip=0,
              mask="detector_images/lightform_Pixium_DLS_I12/DLS_CeO2_1200mm.mask.tif",
              negmask=0, poni="detector_images/lightform_Pixium_DLS_I12/DLS_CeO2_1200mm_pyFAI.poni")
TILTED = dict(image="synthetic", flip=0, mask="synthetic", negmask=0, poni="inline",
              dist=0.12, poni1=0.004, poni2=-0.006, rot1=0.35, rot2=-0.25, rot3=0.6,
              wavelength=0.7e-10, pixel1=100e-6, pixel2=150e-6, rows=180, cols=240)
STEEP = dict(TILTED, dist=0.05, poni1=0.009, poni2=0.018, rot1=-0.5, rot2=0.4, rot3=-1.1,
             wavelength=1.5e-10, pixel1=172e-6, pixel2=172e-6, rows=150, cols=200)

OPTS = dict(npt=300, unit="q_A^-1", filter="mean", thres=0, iter=0, pol=NAN, sa=1, rmin=NAN,
            rmax=NAN, amin=NAN, amax=NAN, monitor=1.0, dark=0, flat=0)

CASES = []
for m in ("no", "bbox", "full"):
    CASES.append(dict(OPTS, name="pilatus2m_" + m, method=m, pol=0.95, **PIL2M))
    CASES.append(dict(OPTS, name="dioptas_" + m, method=m, unit="2th_deg", npt=400, **DIOPTAS))
    CASES.append(dict(OPTS, name="ssrl_" + m, method=m, unit="q_nm^-1", npt=250, pol=0.99,
                      amin=-120.0, amax=60.0, **SSRL))
    CASES.append(dict(OPTS, name="pixium_" + m, method=m, npt=200, rmin=1.0, rmax=5.5, sa=0,
                      **PIXIUM))
    CASES.append(dict(OPTS, name="tilted_" + m, method=m, unit="r_mm", npt=150, pol=-0.4,
                      monitor=2.5, dark=1, flat=1, **TILTED))
    CASES.append(dict(OPTS, name="steep_" + m, method=m, unit="2th_rad", npt=120, pol=0.7,
                      amin=-170.0, amax=100.0, **STEEP))
CASES.append(dict(OPTS, name="tilted_sigma", method="no", filter="sigma", thres=3.0, iter=5,
                  npt=100, unit="q_nm^-1", rmin=10.0, rmax=60.0, pol=0.9, dark=1, flat=1,
                  **dict(TILTED, image="spots")))
CASES.append(dict(OPTS, name="pilatus2m_sigma", method="no", filter="sigma", thres=4.0, iter=3,
                  npt=200, rmin=0.5, rmax=6.0, pol=0.95, **PIL2M))


def synthetic(rows, cols, spots=False):
    """The integer-valued test frame, its dark, flat and mask; NaN pixels are invalid."""
    i, j = np.meshgrid(np.arange(rows, dtype=np.int64), np.arange(cols, dtype=np.int64),
                       indexing="ij")
    d2 = (i - rows // 3) ** 2 + (j - cols // 4) ** 2
    frame = 50 + (i * 131 + j * 71) % 251 + ((i * i + 3 * j) % 13) * 10
    frame = frame + np.where((d2 // 400) % 5 == 0, 500, 0)
    if spots:
        frame = frame + np.where((i * 17 + j * 29) % 211 == 0, 20000, 0)
    frame = frame.astype(np.float32)
    frame[(i * 7 + j) % 97 == 3] = np.nan
    dark = ((i + 2 * j) % 7).astype(np.float32)
    flat = (0.9 + ((i * j) % 11) * 0.02).astype(np.float32)
    mask = ((i * 3 + j * 5) % 41 == 0) | ((i >= 20) & (i < 30) & (j >= 40) & (j < 70))
    return frame, dark, flat, mask.astype(np.int8)


def load(case):
    if case["poni"] == "inline":
        det = Detector(pixel1=case["pixel1"], pixel2=case["pixel2"],
                       max_shape=(case["rows"], case["cols"]))
        ai = AzimuthalIntegrator(dist=case["dist"], poni1=case["poni1"], poni2=case["poni2"],
                                 rot1=case["rot1"], rot2=case["rot2"], rot3=case["rot3"],
                                 wavelength=case["wavelength"], detector=det)
        frame, dark, flat, mask = synthetic(case["rows"], case["cols"], case["image"] == "spots")
        return ai, frame, mask, dark if case["dark"] else None, flat if case["flat"] else None
    ai = pyFAI.load(os.path.join(DATA, case["poni"]))
    frame = fabio.open(os.path.join(DATA, case["image"])).data.astype(np.float32)
    if case["flip"]:
        frame = np.flipud(frame)
    mask = np.zeros(frame.shape, dtype=bool)
    if case["mask"] != "none":
        mask |= fabio.open(os.path.join(DATA, case["mask"])).data != 0
    if case["negmask"]:
        mask |= frame < 0
    return ai, np.ascontiguousarray(frame), mask.astype(np.int8), None, None


def integrate(case):
    ai, frame, mask, dark, flat = load(case)
    pol = None if np.isnan(case["pol"]) else case["pol"]
    rr = None if np.isnan(case["rmin"]) else (case["rmin"], case["rmax"])
    ar = None if np.isnan(case["amin"]) else (case["amin"], case["amax"])
    common = dict(correctSolidAngle=bool(case["sa"]), polarization_factor=pol, radial_range=rr,
                  azimuth_range=ar, mask=mask, dark=dark, flat=flat, unit=case["unit"],
                  normalization_factor=case["monitor"], error_model="poisson")
    if case["filter"] == "sigma":
        res = ai.sigma_clip_ng(frame, case["npt"], method=("no", "csr", "cython"),
                               thres=case["thres"], max_iter=case["iter"], **common)
        # the count of pixels kept is not returned by sigma_clip_ng: the test needs only
        # whether the bin is empty
        count = np.where(res.intensity != 0, 1.0, 0.0)
    else:
        algo = "histogram" if case["method"] == "no" else "csr"
        res = ai.integrate1d_ng(frame, case["npt"], method=(case["method"], algo, "cython"),
                                **common)
        count = res.count
    return res.radial, res.intensity, res.sigma, count


def r(x):
    return repr(float(x))


def fmt(v):
    return r(v) if isinstance(v, float) else str(v)


def main(path):
    out = ["# pyFAI %s integrate1d_ng / sigma_clip_ng; see make_reference.py" % pyFAI.version]
    keys = ["name", "image", "flip", "mask", "negmask", "poni", "dist", "poni1", "poni2", "rot1",
            "rot2", "rot3", "wavelength", "pixel1", "pixel2", "rows", "cols", "npt", "unit",
            "method", "filter", "thres", "iter", "pol", "sa", "rmin", "rmax", "amin", "amax",
            "monitor", "dark", "flat"]
    for case in CASES:
        out.append("case " + " ".join("%s=%s" % (k, fmt(case[k])) for k in keys if k in case))
        radial, inten, sigma, count = integrate(case)
        for b in range(len(radial)):
            out.append("bin %s %s %s %s" % (r(radial[b]), r(inten[b]), r(sigma[b]), r(count[b])))
        out.append("end")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(os.path.join(sys.argv[1] if len(sys.argv) > 1 else HERE, "reference.txt"))
