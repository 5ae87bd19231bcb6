"""test_integrate_cli_peer.py - `tsct integrate` against pyFAI 0.21 called live, on the tilted
SSRL Pilatus 300K-W image (negative pixels masked, as the command does) and the Pilatus 2M
CBF with its mask: the .xy file written by tsct and pyFAI's integrate1d_ng result must agree
to 1e-5 relative in every non-empty bin (no splitting; the tolerance of
tests/test_integrate_pyfai.c, where it is explained) for intensity and sigma, and the radial
column to 1e-7 relative (it is printed with 10 significant digits)."""
import logging
import os
import subprocess
import sys

import numpy as np

logging.disable(logging.WARNING)
import fabio  # noqa: E402
import pyFAI  # noqa: E402

data = os.path.join(os.environ["TSCT_DATA"], "detector_images")
tmp = os.path.join(os.environ["TSCT_TMP"], "integrate_cli_peer")
os.makedirs(tmp, exist_ok=True)
cases = [
    ("ssrl_LaB6_Pilatus300kw/b_toney_lab6_th3_scan1_0008.tif",
     "ssrl_LaB6_Pilatus300kw/b_toney_lab6_th3_scan1_0008.poni", None,
     ["--unit", "2th_deg", "-n", "500", "--polarization", "0.95"],
     dict(unit="2th_deg", npt=500, polarization_factor=0.95)),
    ("ndtomo_CeO2_Pilatus2M/CeO2.cbf", "ndtomo_CeO2_Pilatus2M/CeO2.poni",
     "ndtomo_CeO2_Pilatus2M/mask.edf", ["-n", "1000", "--no-solid-angle"],
     dict(unit="q_A^-1", npt=1000, correctSolidAngle=False)),
]
failures = 0
for image, poni, mask, args, kw in cases:
    out = os.path.join(tmp, os.path.basename(image) + ".xy")
    cmd = [os.environ["TSCT"], "integrate", os.path.join(data, image), "--poni",
           os.path.join(data, poni), "-o", out] + args
    if mask:
        cmd += ["--mask", os.path.join(data, mask)]
    subprocess.run(cmd, check=True)
    mine = np.loadtxt(out)
    frame = fabio.open(os.path.join(data, image)).data.astype(np.float32)
    m = frame < 0
    if mask:
        m |= fabio.open(os.path.join(data, mask)).data != 0
    ai = pyFAI.load(os.path.join(data, poni))
    # tsct always masks the module gaps of a named detector, as pyFAI does when it is given no
    # mask (its detector.mask); with an explicit mask pyFAI needs them added.
    if ai.detector.mask is not None and ai.detector.mask.shape == m.shape:
        m |= ai.detector.mask != 0
    ref = ai.integrate1d_ng(frame, kw.pop("npt"), mask=m, error_model="poisson",
                            method=("no", "histogram", "cython"), **kw)
    ok = ref.count > 0
    checks = [
        ("radial", np.abs(mine[:, 0] / ref.radial - 1).max(), 1e-7),
        ("intensity", np.abs(mine[ok, 1] / ref.intensity[ok] - 1).max(), 1e-5),
        ("sigma", np.abs(mine[ok, 2] / ref.sigma[ok] - 1).max(), 1e-5),
        ("empty bins", np.abs(mine[~ok, 1]).max() if (~ok).any() else 0.0, 0.0),
    ]
    for name, worst, tol in checks:
        status = "ok" if worst <= tol else "FAIL"
        failures += status == "FAIL"
        print("%s %s: %s largest relative difference %.3g (tolerance %g)"
              % (status, image, name, worst, tol))
    if ok.sum() < len(ok) // 2:
        print("FAIL %s: only %d non-empty bins" % (image, ok.sum()))
        failures += 1
sys.exit(1 if failures else 0)
