#!/usr/bin/python3
"""The committed image reference still matches fabio.

tests/test_image.c compares tsct's reader with tests/data/image_reference/reference.txt;
this test regenerates that file with fabio (make_reference.py) into a scratch folder and
requires the same lines, so the C test's reference is fabio's reading of the images,
not a snapshot of tsct's own output. Only the first comment line (peer versions) may differ.
"""
import os
import subprocess
import sys

data = os.environ.get("TSCT_DATA") or os.path.join(os.path.dirname(__file__), "data")
tmp = os.environ.get("TSCT_TMP") or "/tmp/tsct_test_image_reference"
os.makedirs(tmp, exist_ok=True)
ref = os.path.join(data, "image_reference", "reference.txt")
out = os.path.join(tmp, "reference.txt")
subprocess.run([sys.executable, os.path.join(data, "image_reference", "make_reference.py"),
                out], check=True, stderr=subprocess.DEVNULL)
with open(ref) as fh:
    want = [l for l in fh.read().splitlines() if not l.startswith("#")]
with open(out) as fh:
    got = [l for l in fh.read().splitlines() if not l.startswith("#")]
bad = [(i + 1, w, g) for i, (w, g) in enumerate(zip(want, got)) if w != g]
if len(want) != len(got) or bad:
    print("%s: %d lines, fabio gives %d" % (ref, len(want), len(got)))
    for line, w, g in bad[:20]:
        print("line %d:\n  committed: %s\n  fabio:  %s" % (line, w, g))
    sys.exit(1)
print("test_image_reference: %d lines match fabio" % len(want))
