"""test_sim_presets.py - simulator presets and their overrides (`tsct simulate --set`).

The bivo4 preset (the BiVO4 TSCT study's scan) cut down with --set runs to the end with the
overridden sizes in every dataset, a complete ground truth and its electrochemistry; the same
seed gives the same data, another override another simulation; --list names every preset
and parameter; bad overrides are refused with the parameter, its meaning and range.
"""
import os

import h5py
import numpy as np

from cli_check import TMP, check, finish, run

W = os.path.join(TMP, "presets")
os.makedirs(W, exist_ok=True)


def fresh(name):
    p = os.path.join(W, name)
    for q in (p, p.replace(".h5", "_echem.csv")):
        if os.path.exists(q):
            os.remove(q)
    return p


r = run("simulate", "--list")
check("demo " in r.stdout and "bivo4 " in r.stdout and "110 translations x 61 angles" in r.stdout,
      r.stdout)
check("detector.counts" in r.stdout and "voxels per side of a slice" in r.stdout, r.stdout)

small = ["--set", "n=40", "--set", "ns=40", "--set", "na=21", "--set", "nt=3", "--set",
         "nq=300", "--set", "nz=2"]
a, b, c = fresh("a.h5"), fresh("b.h5"), fresh("c.h5")
run("simulate", "--preset", "bivo4", *small, "-o", a)
run("simulate", "--preset", "bivo4", *small, "-o", b)
run("simulate", "--preset", "bivo4", *small, "--set", "packing=0.2", "-o", c)
with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb, h5py.File(c, "r") as fc:
    d = fa["entry/integrated/data"]
    check(d.shape == (3, 2, 21, 40, 300), "integrated %s" % (d.shape,))
    check(np.isfinite(d[...]).all(), "integrated cube finite")
    check(np.array_equal(d[...], fb["entry/integrated/data"][...]), "same seed, same data")
    check(not np.array_equal(d[...], fc["entry/integrated/data"][...]), "override changes data")
    q = fa["entry/integrated/q"][...]
    check(abs(q[0] - 0.5) < 1e-12 and abs(q[-1] - 8.0) < 1e-12, "bivo4 q range 0.5 .. 8")
    gt = fa["ground_truth"]
    check(gt.attrs["preset"] == b"bivo4", "preset recorded")
    pf = gt["phase_fraction"][...]
    check(pf.shape == (3, 2, 40, 40, 8), "phase_fraction %s" % (pf.shape,))
    s = pf.sum(-1)
    check(np.all((np.abs(s - 1) < 1e-5) | (s == 0)), "fractions sum to 1 (0 where lost)")
    cmd = fa["entry/process/simulate"].attrs["fingerprint"].decode()
    check("set=n=40,ns=40,na=21,nt=3,nq=300,nz=2" in cmd, "overrides in the identity: " + cmd)
echem = open(a.replace(".h5", "_echem.csv")).read().splitlines()
check(len(echem) > 100, "electrochemistry written")

r = run("simulate", "--preset", "bivo4", "--set", "nq=abc", "-o", fresh("x.h5"), status=1)
check("nq (q channels) expects a whole number from 16 to 100000, got 'abc'" in r.stderr,
      r.stderr)
r = run("simulate", "--preset", "bivo4", "--set", "packing=0.9", "-o", fresh("x.h5"), status=1)
check("packing" in r.stderr and "0.6" in r.stderr, r.stderr)
r = run("simulate", "--preset", "bivo4", "--set", "wobble=1", "-o", fresh("x.h5"), status=1)
check("unknown preset parameter 'wobble'; known: n, nz" in r.stderr, r.stderr)
r = run("simulate", "--preset", "bivo4", "--set", "nq", "-o", fresh("x.h5"), status=2)
check("--set expects KEY=VALUE" in r.stderr, r.stderr)
r = run("simulate", "--preset", "demo", "--set", "qmin=5", "-o", fresh("x.h5"), status=1)
check("qmax 4.5 must exceed qmin 5" in r.stderr, r.stderr)
check(not os.path.exists(os.path.join(W, "x.h5")), "no container after a refused override")
finish("test_sim_presets")
