"""peer_reference.py - shared by the tests/test_*_peer.py checks (not a test itself).

A committed reference folder tests/data/NAME/ holds files made by its make_reference.py from a
peer (pyFAI, scikit-image, scipy ...). check() reruns the generator into the test's scratch
folder and requires every listed file to match the committed one, so a change of the peer
(or of the generator) is noticed; the C tests compare tsct with the committed files.
"""
import os
import subprocess
import sys

import numpy as np


def check(folder, files):
    """files: {name: None for an exact text/byte match, or a numpy dtype for a numeric match
    to 1e-6 relative}. Exits the process with 0 or 1 and a message."""
    here = os.path.join(os.environ["TSCT_SRC"], "tests", "data", folder)
    tmp = os.environ["TSCT_TMP"]
    os.makedirs(tmp, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(here, "make_reference.py"), tmp], check=True)
    bad = []
    for name, dtype in files.items():
        old_path, new_path = os.path.join(here, name), os.path.join(tmp, name)
        if dtype is None:
            if open(old_path, "rb").read() != open(new_path, "rb").read():
                bad.append(name)
        else:
            a, b = np.fromfile(old_path, dtype), np.fromfile(new_path, dtype)
            scale = np.nanmax(np.abs(a)) if a.size else 1.0
            if a.shape != b.shape or not np.allclose(a, b, rtol=1e-6, atol=1e-6 * scale,
                                                     equal_nan=True):
                bad.append(name)
    if bad:
        print("FAIL: the peer's results in tests/data/%s changed: %s" % (folder, ", ".join(bad)))
        sys.exit(1)
    print("tests/data/%s: %d files unchanged" % (folder, len(files)))
    sys.exit(0)
