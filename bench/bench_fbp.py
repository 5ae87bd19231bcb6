#!/usr/bin/python3
"""Time tsct's multi-channel FBP against scikit-image's per-channel iradon on the same input.

usage: /usr/bin/python3 bench/bench_fbp.py [--bin build/bench/bench_fbp]
           [--cases 550x400x2000,128x61x2000] [--threads 2] [--block 64] [--repeats 3]
           [--peer-channels 4]

Cases are NSxNAxNC (translations = image size, angles, channels); the defaults are the two
scans of the design brief: the commercial-cell XRD-CT scan (550 x 550 voxels, 400 angles,
2000 channels) and the TSCT scans (128 x 128, 61 angles; 2000 channels). For each case, one
bench_fbp run makes the synthetic sinogram [na][ns][nc], times tsct (median of
--repeats after a warm-up) and dumps the first --peer-channels channels of its input and
output; this script then times skimage.transform.iradon (ramp, linear, circle) on each of
those channels, checks the two results agree, and prints the per-channel ratio. skimage is
timed on --peer-channels channels only and extrapolated linearly to nc (it reconstructs one
channel at a time, so its cost is proportional to nc). Method: bench/METHOD_fbp.md.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np


def run_case(a, ns, na, nc):
    from skimage.transform import iradon
    import skimage

    with tempfile.TemporaryDirectory() as tmp:
        cmd = [a.bin, "--ns", str(ns), "--na", str(na), "--nc", str(nc),
               "--threads", str(a.threads), "--block", str(a.block),
               "--repeats", str(a.repeats), "--dump", tmp,
               "--dump-channels", str(a.peer_channels)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()
        print(out)
        fig = dict(kv.split("=", 1) for kv in out.split()[1:])
        k = min(a.peer_channels, nc)
        n = int(fig["n"])
        theta = np.fromfile(os.path.join(tmp, "angles.f64"), "<f8")
        sino = np.fromfile(os.path.join(tmp, "sino.f32"), "<f4").reshape(na, ns, k)
        ours = np.fromfile(os.path.join(tmp, "recon.f32"), "<f4").reshape(n, n, k)

    times, worst = [], 0.0
    for c in range(k):
        s = np.ascontiguousarray(sino[:, :, c].T, dtype=np.float64)
        t0 = time.perf_counter()
        ref = iradon(s, theta=theta, filter_name="ramp", interpolation="linear", circle=True)
        times.append(time.perf_counter() - t0)
        worst = max(worst, float(np.sqrt(np.mean((ref - ours[:, :, c]) ** 2)) / np.abs(ref).max()))

    sk = statistics.median(times)
    ts = float(fig["median_s"])
    per_ch = ts / nc
    mads = float(n) * n * na * nc
    print("case %d x %d image, %d angles, %d channels" % (n, n, na, nc))
    print("skimage %s iradon: %d channels timed, median %.4f s per channel (1 thread); "
          "extrapolated to %d channels: %.1f s" % (skimage.__version__, k, sk, nc, sk * nc))
    print("tsct: %.3f s for %d channels on %d threads = %.4f ms per channel; "
          "%.2f G multiply-adds/s against the n*n*na*nc = %.3g bound"
          % (ts, nc, a.threads, per_ch * 1e3, mads / ts * 1e-9, mads))
    print("ratio skimage / tsct per channel-equivalent: %.0f x (%d tsct threads vs 1 skimage "
          "thread; per thread: %.0f x)" % (sk / per_ch, a.threads, sk / per_ch / a.threads))
    print("agreement on the %d timed channels: worst RMS / max = %.2e" % (k, worst))
    return worst < 1e-3


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bin", default=os.path.join(here, "..", "build", "bench", "bench_fbp"))
    ap.add_argument("--cases", default="550x400x2000,128x61x2000")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--block", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-channels", type=int, default=4)
    a = ap.parse_args()
    ok = True
    for case in a.cases.split(","):
        ns, na, nc = (int(v) for v in case.lower().split("x"))
        ok = run_case(a, ns, na, nc) and ok
        print()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
