"""bench_mpi.py - weak scaling of `tsct integrate` and `tsct recon` over MPI ranks (docs/mpi.md).

Method: one rank does W units of work, two ranks do 2W (weak scaling), each rank one thread
(OMP_NUM_THREADS=1, --threads 1), both with the same program (the MPI build) in the same
invocation. Integration: a simulated scan whose frames are 2 x the angles for two ranks
(units: frame-rows of 32 frames of 512 x 512 pixels, 200 channels). Reconstruction: FBP of a
128 x 128 x 181-angle slice, 96 channels for one rank and 192 for two, in blocks of 4 (units:
blocks). Each case runs --repeats times and the median is kept; the runs alternate 1 and 2
ranks so that a change of the machine's load hits both. Printed per case: wall time, the
throughput ratio (units/s of 2 ranks over 1 rank; 2.0 is perfect weak scaling), every rank's
CPU time (user + system, GNU time), and the ratio with CPU time instead of wall time (the
busiest rank's), which is what the work costs when each rank has a core of its own: on a
loaded machine the wall-time ratio is a lower bound. Rank 0's share of writes is the
difference between its CPU time and the others'.

  /usr/bin/python3 bench/bench_mpi.py [--build build-mpi] [--repeats 3] [--keep DIR]
"""
import argparse
import configparser
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build-mpi")
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--keep")
args = ap.parse_args()
TSCT = os.path.abspath(os.path.join(args.build, "tsct"))
W = args.keep or tempfile.mkdtemp(prefix="bench_mpi_")
os.makedirs(W, exist_ok=True)
os.chdir(W)
ENV = dict(os.environ, OMP_NUM_THREADS="1")
ROOT = ["--allow-run-as-root"] if os.geteuid() == 0 else []


def sh(*a, **k):
    return subprocess.run(list(a), check=True, capture_output=True, text=True, env=ENV, **k)


def launch(n, *a):
    """Wall time and the CPU time (s) of every rank of one run."""
    cmd = ["mpirun", "-n", str(n), "--oversubscribe", "--bind-to", "none"] + ROOT + [
        "/usr/bin/time", "-f", "CPU %U %S", TSCT, "--threads", "1", "-q", *a]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - t
    if r.returncode:
        raise SystemExit("failed: %s\n%s" % (" ".join(cmd), r.stderr))
    cpus = [float(u) + float(s) for u, s in re.findall(r"CPU ([\d.]+) ([\d.]+)", r.stderr)]
    return wall, sorted(cpus, reverse=True)


def scan(tag, na):
    if not os.path.exists(tag + "/scan.ini"):
        sh(TSCT, "simulate", "--preset", "demo", "--level", "frames", "--set",
           "detector.rows=512", "--set", "detector.cols=512", "--set", "n=32", "--set", "ns=32",
           "--set", "na=%d" % na, "--set", "nq=200", "--set", "nt=1", "-o", tag + ".h5",
           "--frames", tag)
    c = configparser.ConfigParser(interpolation=None)
    c.read(tag + "/scan.ini")
    s = c["scan"]
    return [tag + "/frames_t0000.h5::" + s["dataset"], "--poni", tag + "/detector.poni",
            "--mask", tag + "/mask.edf", "--npt", s["npt"], "--radial-range", s["qmin"],
            s["qmax"], "--filter", "trimmed:5,75", "--angles", s["angles"], "--translations",
            s["translations"], "--zigzag"]


def sinograms(tag, nq):
    if not os.path.exists(tag + ".h5"):
        sh(TSCT, "simulate", "--preset", "si", "--set", "n=128", "--set", "ns=128", "--set",
           "na=181", "--set", "nz=1", "--set", "nt=1", "--set", "nq=%d" % nq, "-o", tag + ".h5")
        sh(TSCT, "sinogram", tag + ".h5")
    return tag + ".h5"


def case(name, units1, run1, run2):
    rows = {1: [], 2: []}
    for _ in range(args.repeats):
        for n, fn in ((1, run1), (2, run2)):
            rows[n].append(fn())
    med = {n: sorted(rows[n], key=lambda r: r[0])[len(rows[n]) // 2] for n in rows}
    (w1, c1), (w2, c2) = med[1], med[2]
    print("%s: %d units on 1 rank, %d on 2 ranks" % (name, units1, 2 * units1))
    print("  1 rank : wall %.2f s, CPU %s s" % (w1, " ".join("%.2f" % c for c in c1)))
    print("  2 ranks: wall %.2f s, CPU %s s (rank CPU times, largest first)" %
          (w2, " ".join("%.2f" % c for c in c2)))
    print("  throughput ratio 2/1 ranks: wall %.2f, CPU (busiest rank) %.2f" %
          (2 * w1 / w2, 2 * c1[0] / c2[0]))
    print("  all walls 1 rank: %s; 2 ranks: %s" % (
        " ".join("%.2f" % r[0] for r in rows[1]), " ".join("%.2f" % r[0] for r in rows[2])))


print("uptime before:", sh("uptime").stdout.strip())
a1, a2 = scan("scan1", 12), scan("scan2", 24)


def integrate(n, a):
    for p in ("i%d.h5" % n, "i%d.h5.integrate.partial" % n):
        if os.path.exists(p):
            os.remove(p)
    return launch(n, "integrate", *a, "--container", "i%d.h5" % n)


case("integrate (frame-rows of 32 frames, 512 x 512)", 12, lambda: integrate(1, a1),
     lambda: integrate(2, a2))
s1, s2 = sinograms("sino1", 96), sinograms("sino2", 192)


def recon(n, path):
    return launch(n, "--force", "recon", path, "--block", "4")


case("recon (FBP blocks of 4 channels, 128 x 128 x 181 angles)", 24, lambda: recon(1, s1),
     lambda: recon(2, s2))
print("uptime after:", sh("uptime").stdout.strip())
if not args.keep:
    shutil.rmtree(W, ignore_errors=True)
