#!/usr/bin/python3
"""Time tsct's multi-channel FBP against scikit-image's per-channel iradon on the same input.

usage: /usr/bin/python3 bench/bench_fbp.py [--bin build/bench/bench_fbp] [--ns 550] [--na 400]
           [--nc 2000] [--threads 2] [--block 64] [--repeats 3] [--peer-channels 4]

One invocation: bench_fbp makes the synthetic sinogram [na][ns][nc], times tsct (median of
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


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--bin", default=os.path.join(here, "..", "build", "bench", "bench_fbp"))
    ap.add_argument("--ns", type=int, default=550)
    ap.add_argument("--na", type=int, default=400)
    ap.add_argument("--nc", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--block", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-channels", type=int, default=4)
    a = ap.parse_args()

    import skimage
    from skimage.transform import iradon

    with tempfile.TemporaryDirectory() as tmp:
        cmd = [a.bin, "--ns", str(a.ns), "--na", str(a.na), "--nc", str(a.nc),
               "--threads", str(a.threads), "--block", str(a.block),
               "--repeats", str(a.repeats), "--dump", tmp,
               "--dump-channels", str(a.peer_channels)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()
        print(out)
        fig = dict(kv.split("=", 1) for kv in out.split()[1:])
        k = min(a.peer_channels, a.nc)
        n = int(fig["n"])
        theta = np.fromfile(os.path.join(tmp, "angles.f64"), "<f8")
        sino = np.fromfile(os.path.join(tmp, "sino.f32"), "<f4").reshape(a.na, a.ns, k)
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
    per_ch = ts / a.nc
    mads = float(n) * n * a.na * a.nc
    print("skimage %s iradon: %d channels timed, median %.3f s per channel (1 thread); "
          "extrapolated to %d channels: %.1f s" % (skimage.__version__, k, sk, a.nc, sk * a.nc))
    print("tsct: %.3f s for %d channels on %d threads = %.3f ms per channel; "
          "%.2f G multiply-adds/s against the n*n*na*nc = %.3g bound"
          % (ts, a.nc, a.threads, per_ch * 1e3, mads / ts * 1e-9, mads))
    print("ratio skimage / tsct per channel-equivalent: %.0f x (%d tsct threads vs 1 skimage "
          "thread; per thread: %.0f x)" % (sk / per_ch, a.threads, sk / per_ch / a.threads))
    print("agreement on the %d timed channels: worst RMS / max = %.2e" % (k, worst))
    return 0 if worst < 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
