"""test_corrupt.py - corrupt containers never crash tsct.

A container written by tsct is corrupted with random byte changes (fixed seeds, so every run
tries the same files): in its metadata (the first 64 KiB and the last 16 KiB, where HDF5 keeps
its superblock, object headers, B-trees and heaps) and in its compressed data. `tsct -v info`
(which reads every object and attribute) and `tsct import` (which reads every chunk) must exit
with 0 (the change hit nothing that matters) or 1 with a message naming the file; never a
signal, a sanitizer report (exit 86/87) or another status. Memory errors that ASan sees
inside libhdf5 itself are HDF5's (tests/asan.supp); leaks on HDF5's error paths likewise
(tests/lsan_hdf5.supp, used only here).
"""
import os
import random
import subprocess
import sys

import h5py
import numpy as np

TSCT = os.environ["TSCT"]
TMP = os.environ["TSCT_TMP"]
os.makedirs(TMP, exist_ok=True)
failures = []

src = os.path.join(TMP, "src.h5")
base = os.path.join(TMP, "base.h5")
for p in (src, base):
    if os.path.exists(p):
        os.remove(p)
with h5py.File(src, "w") as f:
    f["data"] = np.random.default_rng(1).random((24, 16, 60), dtype=np.float32)
    f["q"] = np.linspace(1, 4, 60)
r = subprocess.run([TSCT, "import", src + "::/data", "-a", src + "::/q", "-o", base],
                   capture_output=True, text=True)
if r.returncode != 0:
    print(r.stderr)
    sys.exit(1)
data = open(base, "rb").read()
size = len(data)
rng = random.Random(20261122)
# HDF5 leaks on its error paths for corrupt files: not ours to report (see lsan_hdf5.supp).
env = dict(os.environ)
env["LSAN_OPTIONS"] = "suppressions=" + os.path.join(os.environ["TSCT_SRC"], "tests",
                                                     "lsan_hdf5.supp")
counts = {0: 0, 1: 0}
bad = os.path.join(TMP, "bad.h5")
out = os.path.join(TMP, "out.h5")
trials = 160
for trial in range(trials):
    b = bytearray(data)
    region = trial % 3
    for _ in range(rng.choice((1, 3, 12))):
        if region == 0:
            pos = rng.randrange(0, min(size, 65536))
        elif region == 1:
            pos = rng.randrange(max(0, size - 16384), size)
        else:
            pos = rng.randrange(0, size)
        b[pos] = rng.randrange(256)
    with open(bad, "wb") as f:
        f.write(b)
    for args in (["-v", "info", bad], ["import", bad + "::/entry/recon/data", "-o", out]):
        if os.path.exists(out):
            os.remove(out)
        try:
            r = subprocess.run([TSCT, *args], capture_output=True, text=True, errors="replace",
                               timeout=60, env=env)
        except subprocess.TimeoutExpired:
            r = subprocess.CompletedProcess(args, -999, "", "hung for 60 s")
        if r.returncode in (0, 1):
            counts[r.returncode] += 1
        if r.returncode not in (0, 1) or (r.returncode == 1 and "bad.h5" not in r.stderr):
            keep = os.path.join(TMP, "crash_%d.h5" % trial)
            os.replace(bad, keep)
            failures.append((trial, args[0:2], r.returncode, r.stderr[-400:]))
            print("FAIL trial %d %s: status %d\n%s" % (trial, args[:2], r.returncode,
                                                      r.stderr[-400:]), file=sys.stderr)
            break

print("%d corrupted files, %d runs: %d exit 0, %d exit 1 naming the file, %d failures"
      % (trials, 2 * trials, counts[0], counts[1], len(failures)))
# The corruption must have been noticed some of the time, or the test tests nothing.
if counts[1] < 10:
    print("FAIL: too few corruptions detected (%d)" % counts[1], file=sys.stderr)
    failures.append("detection")
sys.exit(1 if failures else 0)
