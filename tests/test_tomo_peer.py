#!/usr/bin/python3
"""Peer drift check for the FBP / projector reference data.

tests/test_fbp.c and tests/test_tomo_iter.c compare tsct with scikit-image through files
committed under tests/data/tomo_reference/ (made by make_reference.py there). This test runs
that script again with the scikit-image installed here and checks that it reproduces the
committed files, so that a change of the peer (a new iradon / radon convention, filter or
scaling) is noticed instead of silently testing against stale numbers.
Tolerance: max |new - committed| <= 1e-5 of max |committed| per file (float32 files; the
generation is deterministic, so any difference beyond rounding means the peer changed).
"""
import os
import subprocess
import sys

import numpy as np

DATA = os.path.join(os.environ.get("TSCT_DATA", os.path.join(os.path.dirname(__file__), "data")),
                    "tomo_reference")
TMP = os.environ.get("TSCT_TMP", "/tmp/tsct_test_tomo_peer")


def main():
    import skimage
    os.makedirs(TMP, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(DATA, "make_reference.py"), TMP], check=True)
    failures = 0
    with open(os.path.join(DATA, "manifest.txt")) as a, open(os.path.join(TMP, "manifest.txt")) as b:
        if a.read() != b.read():
            print("manifest.txt differs")
            failures += 1
    files = sorted(f for f in os.listdir(DATA) if f.endswith((".f32", ".f64")))
    for f in files:
        dtype = "<f4" if f.endswith(".f32") else "<f8"
        old = np.fromfile(os.path.join(DATA, f), dtype=dtype)
        path = os.path.join(TMP, f)
        if not os.path.exists(path):
            print("%s: not regenerated" % f)
            failures += 1
            continue
        new = np.fromfile(path, dtype=dtype)
        if old.shape != new.shape:
            print("%s: %d values committed, %d regenerated" % (f, old.size, new.size))
            failures += 1
            continue
        scale = max(float(np.abs(old).max()), 1e-30)
        diff = float(np.abs(old.astype(np.float64) - new).max()) / scale
        if diff > 1e-5:
            print("%s: max |new - committed| / max = %.3g" % (f, diff))
            failures += 1
    extra = sorted(set(os.listdir(TMP)) - set(os.listdir(DATA)))
    if extra:
        print("regenerated files not committed: %s" % ", ".join(extra))
        failures += 1
    print("test_tomo_peer: scikit-image %s, %d files compared, %d failures"
          % (skimage.__version__, len(files), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
