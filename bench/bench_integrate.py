#!/usr/bin/python3
"""Time tsct's azimuthal integration against pyFAI 0.21 on the same CBF frames, one invocation.

usage: /usr/bin/python3 bench/bench_integrate.py [--bin build/bench/bench_integrate]
           [--frames 8] [--npt 2000] [--threads 2] [--repeats 3]

Input: tests/data/detector_images/ndtomo_CeO2_Pilatus2M (CeO2.cbf, a Pilatus 2M frame of
1679 x 1475 int32 pixels, the shape of the Pilatus3 X CdTe 2M; its PONI and mask.edf, negative
pixels masked too), 2000 bins in q (1/A), solid angle and polarization 0.99 corrections,
Poisson error model. For each configuration pyFAI is timed as a user runs it: fabio.open of
the CBF plus the integration call, --frames frames, median of --repeats after a warm-up
(the warm-up builds pyFAI's CSR matrix, which tsct's figures exclude too). pyFAI runs with its
OpenMP default (all cores). Then bench_integrate runs tsct on the same files and this script
prints the ratio of frames per second and the largest relative difference of the patterns.

Peers: ("no", "histogram", "cython"), ("no", "csr", "cython"), ("bbox", "csr", "cython"),
("full", "csr", "cython") with integrate1d_ng for the mean; medfilt1d(percentile=(10, 90)),
pyFAI 0.21's trimmed mean (2-D caking, 512 azimuthal bins, then the percentile average of
each column) for tsct's trimmed:10,90 (a different estimator: see docs/integration.md); and
sigma_clip_ng(thres=5, max_iter=5, method=("no", "csr", "cython")) for tsct's sigma:5,5.
Method: bench/METHOD_integrate.md.
"""
import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

logging.disable(logging.WARNING)
import fabio  # noqa: E402
import pyFAI  # noqa: E402


def timed(fn, frames, repeats):
    fn()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(frames):
            res = fn()
        t.append(time.perf_counter() - t0)
    return frames / statistics.median(t), res


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(here, "..", "build", "bench", "bench_integrate"))
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--npt", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    d = os.path.join(here, "..", "tests", "data", "detector_images", "ndtomo_CeO2_Pilatus2M")
    cbf, poni, maskf = (os.path.join(d, f) for f in ("CeO2.cbf", "CeO2.poni", "mask.edf"))
    ai = pyFAI.load(poni)
    first = fabio.open(cbf).data
    mask = (fabio.open(maskf).data != 0) | (first < 0)
    kw = dict(unit="q_A^-1", mask=mask, polarization_factor=0.99, error_model="poisson")

    def mean(method):
        return lambda: ai.integrate1d_ng(fabio.open(cbf).data, a.npt, method=method, **kw)

    peers = {
        "no_mean": [("no_histogram", mean(("no", "histogram", "cython"))),
                    ("no_csr", mean(("no", "csr", "cython")))],
        "bbox_mean": [("bbox_csr", mean(("bbox", "csr", "cython")))],
        "full_mean": [("full_csr", mean(("full", "csr", "cython")))],
        "no_trimmed10": [("medfilt1d_10_90", lambda: ai.medfilt1d(
            fabio.open(cbf).data, a.npt, mask=mask, unit="q_A^-1", polarization_factor=0.99,
            percentile=(10, 90)))],
        "no_sigma5": [("sigma_clip_ng", lambda: ai.sigma_clip_ng(
            fabio.open(cbf).data, a.npt, method=("no", "csr", "cython"), thres=5, max_iter=5,
            **kw))],
    }
    t0 = time.perf_counter()
    decode, _ = timed(lambda: fabio.open(cbf).data, a.frames, a.repeats)
    print("# pyFAI %s, numpy %s; fabio CBF decode: %.1f frames/s" % (
        pyFAI.version, np.__version__, decode))
    pyfai = {}
    for name, lst in peers.items():
        for pname, fn in lst:
            fps, res = timed(fn, a.frames, a.repeats)
            pyfai.setdefault(name, []).append((pname, fps, res))
            print("pyfai %s %s frames_per_s %.2f" % (name, pname, fps), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([a.bin, cbf, poni, maskf, "--frames", str(a.frames), "--npt",
                              str(a.npt), "--threads", str(a.threads), "--repeats",
                              str(a.repeats), "--dump", tmp], check=True, capture_output=True,
                             text=True).stdout
        print(out, end="")
        tsct = {}
        for line in out.splitlines():
            f = line.split()
            if f and f[0] == "tsct":
                tsct[(f[1], f[2])] = float(f[4])
        print("\n%-14s %-16s %10s %12s %12s %8s %10s" % ("config", "pyFAI method", "pyFAI f/s",
              "tsct cbf+int", "tsct kernel", "ratio", "max rel"))
        for name, lst in pyfai.items():
            raw = np.fromfile(os.path.join(tmp, name + ".f32"), dtype=np.float32, count=2 * a.npt)
            mine = raw[:a.npt]
            for pname, fps, res in lst:
                ok = (res.intensity != 0) & (mine != 0)
                diff = np.abs(mine[ok] / res.intensity[ok] - 1).max() if ok.any() else np.nan
                ratio = tsct[(name, "cbf+integrate")] / fps
                print("%-14s %-16s %10.2f %12.2f %12.2f %7.1fx %10.2g" % (
                    name, pname, fps, tsct[(name, "cbf+integrate")], tsct[(name, "integrate")],
                    ratio, diff))
    print("# total %.0f s" % (time.perf_counter() - t0))


if __name__ == "__main__":
    sys.exit(main())
