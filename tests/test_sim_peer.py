"""test_sim_peer.py - regenerate the skimage radon reference of tests/data/sim_reference and
require it to equal the committed files (so a change of the peer is noticed);
tests/test_simulate.c compares tsct's forward model with the committed files."""
import os
import subprocess
import sys

import numpy as np

here = os.path.join(os.environ["TSCT_SRC"], "tests", "data", "sim_reference")
tmp = os.environ["TSCT_TMP"]
os.makedirs(tmp, exist_ok=True)
subprocess.run([sys.executable, os.path.join(here, "make_reference.py"), tmp], check=True)
bad = []
for name, dt in (("image.f32", "<f4"), ("angles.f64", "<f8"), ("radon.f32", "<f4")):
    a = np.fromfile(os.path.join(here, name), dt)
    b = np.fromfile(os.path.join(tmp, name), dt)
    if a.shape != b.shape or not np.allclose(a, b, rtol=1e-6, atol=1e-6 * np.abs(a).max()):
        bad.append(name)
if bad:
    print("FAIL: skimage reference changed:", bad)
    sys.exit(1)
print("skimage radon reference unchanged")
