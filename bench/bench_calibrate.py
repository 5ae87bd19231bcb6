"""bench_calibrate.py - detector calibration of the Pilatus 2M CeO2 frame: `tsct calibrate`
(without a starting geometry, and from the shipped PONI) against pyFAI 0.21's own
recalibration from the shipped PONI (goniometer.SingleGeometry: extract_cp on the rings, then
GeometryRefinement.refine2), in the same invocation. Method: METHOD_calibrate.md.

usage: /usr/bin/python3 bench/bench_calibrate.py [--build build] [--repeats 3] [--threads 2]
"""
import argparse
import logging
import os
import resource
import statistics
import subprocess
import tempfile
import time

import numpy as np

logging.disable(logging.WARNING)
import fabio  # noqa: E402
import pyFAI  # noqa: E402
from pyFAI.calibrant import get_calibrant  # noqa: E402
from pyFAI.goniometer import SingleGeometry  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
d = os.path.join(src, "tests/data/detector_images/ndtomo_CeO2_Pilatus2M")
cbf, mask, poni = (os.path.join(d, f) for f in ("CeO2.cbf", "mask.edf", "CeO2.poni"))
tsct = os.path.join(a.build, "tsct")
ref = pyFAI.load(poni)
wl = ref.wavelength * 1e10
out = os.path.join(tempfile.mkdtemp(), "out.poni")
valid = fabio.open(mask).data == 0


def worst_2theta(path, against=None):
    ai = pyFAI.load(path)
    other = pyFAI.load(against) if against else ref
    return np.degrees(np.abs(ai.twoThetaArray() - other.twoThetaArray()))[valid].max()


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_tsct(extra):
    times, cpu = [], []
    for _ in range(a.repeats):
        c0 = cpu_children()
        t0 = time.perf_counter()
        subprocess.run([tsct, "-q", "--threads", str(a.threads), "calibrate", cbf, "-c", "CeO2",
                        "-d", "Pilatus2M", "-w", "%.12g" % wl, "-m", mask, "-o", out,
                        "--accept-misfit"] + extra, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
        cpu.append(cpu_children() - c0)
    return statistics.median(times), statistics.median(cpu), worst_2theta(out)


t_free, c_free, w_free = time_tsct([])
ours = out + ".free.poni"
os.replace(out, ours)
t_guess, c_guess, w_guess = time_tsct(["--poni", poni])

img = fabio.open(cbf).data
m = (fabio.open(mask).data != 0) | (img < 0)
times, cpu = [], []
for _ in range(a.repeats):
    c0 = time.process_time()
    t0 = time.perf_counter()
    data = fabio.open(cbf).data
    ai = pyFAI.load(poni)
    cal = get_calibrant("CeO2")
    cal.wavelength = ai.wavelength
    sg = SingleGeometry("CeO2", np.where(m, 0, data), calibrant=cal, detector=ai.detector,
                        geometry=ai)
    sg.extract_cp(max_rings=30, pts_per_deg=1)
    sg.geometry_refinement.refine2(fix=["rot3", "wavelength"])
    times.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)
t_pyfai, c_pyfai = statistics.median(times), statistics.median(cpu)
sg.geometry_refinement.save(out)
w_pyfai = worst_2theta(out)
w_both = worst_2theta(ours, out)
print("Pilatus 2M CeO2 frame, %d threads, median of %d" % (a.threads, a.repeats))
print("load average before: %.1f" % os.getloadavg()[0])
print("  tsct calibrate, no starting geometry : %.2f s wall, %.2f s CPU, worst 2theta vs "
      "shipped %.4f deg" % (t_free, c_free, w_free))
print("  tsct calibrate, from the shipped PONI: %.2f s wall, %.2f s CPU, worst 2theta vs "
      "shipped %.4f deg" % (t_guess, c_guess, w_guess))
print("  pyFAI extract_cp + refine2 from it   : %.2f s wall, %.2f s CPU, worst 2theta vs "
      "shipped %.4f deg (%d control points)" % (t_pyfai, c_pyfai, w_pyfai,
                                                len(sg.geometry_refinement.data)))
print("  ratio pyFAI / tsct (from the PONI)   : %.1f" % (t_pyfai / t_guess))
print("  tsct (no guess) against pyFAI's recalibration: worst 2theta %.4f deg" % w_both)
