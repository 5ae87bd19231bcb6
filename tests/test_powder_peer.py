#!/usr/bin/python3
"""Live peer check for powder patterns (tsct pattern, lib/physics/powder.c).

1. tests/data/powder_reference/make_reference.py, rerun into TSCT_TMP with Debian's
   python3-xrayutilities, reproduces the committed line lists (numbers to 1e-6 relative), so
   a peer upgrade that changes them is noticed (tests/test_powder.c compares the library with
   the committed files).
2. End to end: `tsct pattern CIF --peaks --polarization --neutral --no-adp` for every CIF
   of tests/data/cif (the shared COD set) gives the lines of xrayutilities' powder model:
   same d to 1e-5 relative, and for lines above 1 % of the strongest the same
   sum m |F|^2 L P within 1 % (f0 tables: Waasmaier-Kirfel vs xrayutilities' f0_xop, < 0.5 %
   in f0 here; L = 1 / (sin^2 theta cos theta) and P = (1 + cos^2 2theta) / 2 in both, so the
   conventions cancel exactly).

Needs python3-xrayutilities; without it the test fails (a skipped check would hide drift).
"""
import glob
import math
import os
import subprocess
import sys

SRC = os.environ.get("TSCT_SRC", os.path.join(os.path.dirname(__file__), ".."))
TMP = os.environ.get("TSCT_TMP", "/tmp/tsct_powder_peer")
TSCT = os.environ.get("TSCT", os.path.join(SRC, "build", "tsct"))
REF = os.path.join(SRC, "tests", "data", "powder_reference")

try:
    import numpy as np  # noqa: F401
    import xrayutilities  # noqa: F401
except ImportError as exc:  # pragma: no cover
    print("FAIL: peer package missing (%s); run scripts/install-deps (python3-xrayutilities)"
          % exc)
    sys.exit(1)

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def numbers(path):
    out = []
    with open(path) as fh:
        for line in fh:
            if not line.startswith("#"):
                out.extend(float(t) for t in line.split())
    return out


def check_regenerate():
    os.makedirs(TMP, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(REF, "make_reference.py"), TMP], check=True)
    committed = sorted(f for f in os.listdir(REF) if f.endswith(".txt"))
    fresh = sorted(f for f in os.listdir(TMP) if f.endswith(".txt"))
    if committed != fresh or not committed:
        fail("reference files differ: committed %s, regenerated %s" % (committed, fresh))
    for name in set(committed) & set(fresh):
        a, b = numbers(os.path.join(REF, name)), numbers(os.path.join(TMP, name))
        if len(a) != len(b):
            fail("%s: %d values committed, %d regenerated" % (name, len(a), len(b)))
            continue
        for x, y in zip(a, b):
            if abs(x - y) > 1e-6 * max(abs(x), abs(y)) + 1e-9:
                fail("%s: %r vs %r" % (name, x, y))
                break
    print("regenerated %d reference files and compared them" % len(committed))


def check_cli():
    n = 0
    for cif in sorted(glob.glob(os.path.join(SRC, "tests", "data", "cif", "*.cif"))):
        name = os.path.splitext(os.path.basename(cif))[0]
        out = subprocess.run([TSCT, "pattern", cif, "--wavelength", "0.5", "--qmax", "8",
                              "--peaks", "--polarization", "--neutral", "--no-adp"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            fail("%s: tsct pattern failed: %s" % (name, out.stderr))
            continue
        rows = [l.split() for l in out.stdout.splitlines()[1:]]
        groups = []   # [two_theta, d, intensity]
        for r in rows:
            tt, d, inten = float(r[5]), float(r[3]), float(r[8])
            if groups and abs(tt - groups[-1][0]) < 1e-5:
                groups[-1][2] += inten
            else:
                groups.append([tt, d, inten])
        peer = []
        with open(os.path.join(TMP, "lines_%s.txt" % name)) as fh:
            for line in fh:
                if not line.startswith("#"):
                    tt, q, _rm, rf = map(float, line.split())
                    peer.append((tt, 2 * math.pi / q, rf))
        rmax = max(p[2] for p in peer)
        imax = max(g[2] for g in groups)
        strong = [p for p in peer if p[2] > 1e-6 * rmax and p[1] > 2 * math.pi / 8 * (1 + 1e-9)]
        ours = [g for g in groups if g[2] > 1e-6 * imax]
        if len(strong) != len(ours):
            fail("%s: %d tsct lines, %d xrayutilities lines" % (name, len(ours), len(strong)))
        worst = 0.0
        for tt, d, r in strong:
            g = min(ours, key=lambda g: abs(g[0] - tt))
            if abs(g[1] - d) > 1e-5 * d:
                fail("%s: line d %.6f: tsct d %.6f" % (name, d, g[1]))
            if r > 0.01 * rmax:
                rel = abs(g[2] / r - 1)
                worst = max(worst, rel)
                if rel > 0.01:
                    fail("%s: line at 2theta %.4f: tsct %.6g, xrayutilities %.6g"
                         % (name, tt, g[2], r))
        print("%-24s %4d lines, strong lines within %.3f %%" % (name, len(strong), 100 * worst))
        n += 1
    if n != 11:
        fail("compared %d CIFs, expected 11" % n)


check_regenerate()
check_cli()
if failures:
    print("%d failures" % len(failures))
    sys.exit(1)
print("OK")
