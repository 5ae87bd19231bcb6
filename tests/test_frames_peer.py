#!/usr/bin/python3
"""test_frames_peer.py - the HDF5 frame sources against h5py, live.

1. tests/data/frames/make_frames.py regenerates every source into TSCT_TMP; what h5py reads
   from the regenerated files must equal the committed reference_*.npy exactly (so the
   committed files that tests/test_frames.c compares with are still h5py's reading, and the
   generator has not drifted).
2. `tsct frames --stats` on the regenerated files gives, frame by frame, the minimum, maximum,
   mean and masked count that numpy computes from h5py's reading with the documented rules
   (pixel_mask != 0, value >= 2^bit_depth - 1, negatives for integer data): min and max (as
   float32) and counts exactly, the mean to 1e-12 relative (tsct sums float32 values in double in pixel
   order, numpy in pairwise order: both are exact to ~1e-15 here).
"""
import os
import subprocess
import sys

import h5py
import numpy as np

SRC, TMP, DATA, TSCT = (os.environ[k] for k in ("TSCT_SRC", "TSCT_TMP", "TSCT_DATA", "TSCT"))
REF = os.path.join(DATA, "frames")
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg, file=sys.stderr)


def main():
    os.makedirs(TMP, exist_ok=True)
    out = os.path.join(TMP, "frames")
    subprocess.run([sys.executable, os.path.join(REF, "make_frames.py"), out], check=True)
    names = sorted(n for n in os.listdir(REF) if n.startswith("reference_") and n.endswith(".npy"))
    check(len(names) == 7, "expected 7 reference files, found %d" % len(names))
    for n in names:
        a, b = np.load(os.path.join(REF, n)), np.load(os.path.join(out, n))
        check(a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b),
              "%s: the regenerated reference differs from the committed one" % n)

    def frames_of(path, dset):
        with h5py.File(path, "r") as f:
            return f[dset][...]

    cases = []
    with h5py.File(os.path.join(out, "dectris_master.h5"), "r") as f:
        data = np.concatenate([f["entry/data/data_%06d" % k][...] for k in (1, 2)])
        pm = f["entry/instrument/detector/detectorSpecific/pixel_mask"][...] != 0
        bits = int(f["entry/instrument/detector/bit_depth_image"][()])
    cases.append(("dectris_master.h5", data, lambda x: pm | (x >= 2 ** bits - 1) | (x < 0)))
    with h5py.File(os.path.join(out, "lz4_master.h5"), "r") as f:
        data16 = f["entry/data/data_000001"][...]
        pm16 = f["entry/instrument/detector/detectorSpecific/pixel_mask"][...] != 0
    cases.append(("lz4_master.h5[1:]", data16[1:], lambda x: pm16 | (x >= 65535)))
    vds = frames_of(os.path.join(out, "bliss.h5"), "1.1/measurement/pilatus")
    cases.append(("bliss.h5::/1.1/measurement/pilatus", vds, lambda x: x < 0))
    f64 = frames_of(os.path.join(out, "stack.h5"), "float64")
    cases.append(("stack.h5::/float64[::-1]", None, None))      # a bad slice: step must be >= 1
    cases.append(("stack.h5::/float64", f64, lambda x: np.zeros(x.shape, bool)))
    i16 = frames_of(os.path.join(out, "stack.h5"), "int16")
    cases.append(("stack.h5::/int16[1::2]", i16[1::2], lambda x: x < 0))

    for spec, frames, rule in cases:
        r = subprocess.run([TSCT, "frames", "--stats", os.path.join(out, spec)],
                           capture_output=True, text=True)
        if frames is None:
            check(r.returncode == 1 and "step must be >= 1" in r.stderr,
                  "%s: expected a clear error, got %d %s" % (spec, r.returncode, r.stderr))
            continue
        check(r.returncode == 0, "%s: exit %d: %s" % (spec, r.returncode, r.stderr))
        rows = [l.split() for l in r.stdout.splitlines() if l[:1].isdigit()]
        check(len(rows) == len(frames), "%s: %d lines for %d frames" % (spec, len(rows), len(frames)))
        for k, (row, fr) in enumerate(zip(rows, frames)):
            x = fr.astype(np.float32).astype(np.float64)
            m = rule(fr)
            v = x[~m]
            want = (float(np.float32(v.min())), float(np.float32(v.max())), v.mean(), int(m.sum()))
            got = (float(row[1]), float(row[2]), float(row[3]), int(row[4]))
            # min / max are float32 values printed with 9 digits: they read back exactly
            ok = (np.float32(got[0]) == np.float32(want[0]) and
                  np.float32(got[1]) == np.float32(want[1]) and got[3] == want[3] and
                  abs(got[2] - want[2]) <= 1e-12 * abs(want[2]))
            check(ok, "%s frame %d: tsct %s, h5py/numpy %s" % (spec, k, got, want))
    print("test_frames_peer: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
