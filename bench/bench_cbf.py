#!/usr/bin/python3
"""Time tsct's CBF reading against fabio's on the same file, in one invocation.

usage: /usr/bin/python3 bench/bench_cbf.py [--bin build/bench/bench_cbf] [--file F.cbf]
           [--repeats 7] [--inner 20]

bench_cbf times tsct (each byte-offset kernel decoding from memory, and tsct_image_read of the
file as a user runs it); this script then times fabio.open(F).data on the same file (the same
warm-up, repeats and median), checks that both give the same pixels, and prints frames/s,
GB/s of compressed input and the ratios. Method: bench/METHOD_cbf.md.
"""
import argparse
import os
import statistics
import subprocess
import time

import numpy as np


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(here, "..", "build", "bench", "bench_cbf"))
    ap.add_argument("--file", default=os.path.join(
        here, "..", "tests", "data", "detector_images", "ndtomo_CeO2_Pilatus2M", "CeO2.cbf"))
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--inner", type=int, default=20)
    a = ap.parse_args()

    out = subprocess.run([a.bin, "--file", a.file, "--repeats", str(a.repeats),
                          "--inner", str(a.inner)], check=True, capture_output=True,
                         text=True).stdout
    print(out, end="")
    figs = {}
    csize = None
    for line in out.splitlines():
        w = line.split()
        if w[0].startswith("file="):
            csize = int(dict(x.split("=", 1) for x in w)["compressed_bytes"])
        if w[0] == "tsct":
            figs[w[1]] = dict(x.split("=", 1) for x in w[2:])

    import fabio
    ref = fabio.open(a.file).data          # warm-up (and the comparison)
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(a.inner):
            fabio.open(a.file).data
        times.append((time.perf_counter() - t0) / a.inner)
    med = statistics.median(times)
    print("fabio %s read_file median_ms=%.4f min_ms=%.4f frames_per_s=%.1f GB_per_s=%.3f"
          % (fabio.version, med * 1e3, min(times) * 1e3, 1 / med, csize / med * 1e-9))
    # the same pixels: tsct's reader is tested against fabio exactly in tests/test_image.c;
    # here a sum guards against measuring a wrong decode
    print("fabio_sum=%d" % int(ref.astype(np.int64).sum()))
    for what in ("decode_reference", "decode_avx2", "read_file"):
        if what in figs:
            t = float(figs[what]["median_ms"]) * 1e-3
            print("ratio %s / fabio read: %.1fx" % (what, med / t))


if __name__ == "__main__":
    main()
