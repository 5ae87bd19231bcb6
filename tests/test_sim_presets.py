"""test_sim_presets.py - simulator presets and their overrides (`tsct simulate --set`).

The bivo4 preset (the BiVO4 TSCT study's scan) cut down with --set runs to the end with the
overridden sizes in every dataset, a complete ground truth and its electrochemistry; the same
seed gives the same data, another override another simulation; --list, --help and the
unknown-preset error name every preset (demo, bivo4, si, cylindrical, nmc) and --list every
parameter; bad overrides are refused with the parameter, its meaning and range. The si,
cylindrical and nmc presets, cut down to a few voxels, give the same bytes (every dataset of
the data and the ground truth, and the CSV) for the same seed. Their physics:
test_sim_preset_{si,cylindrical,nmc}.py.
"""
import os

import h5py
import numpy as np

from cli_check import TMP, check, finish, fresh_experiment, run

W = os.path.join(TMP, "presets")
os.makedirs(W, exist_ok=True)


def fresh(name):
    return fresh_experiment(os.path.join(W, name))


r = run("simulate", "--list")
check("demo " in r.stdout and "bivo4 " in r.stdout and "110 translations x 61 angles" in r.stdout,
      r.stdout)
check("\nsi " in r.stdout and "\ncylindrical " in r.stdout and "\nnmc " in r.stdout,
      "new presets listed: " + r.stdout)
check("detector.counts" in r.stdout and "voxels per side of a slice" in r.stdout, r.stdout)
for key in ("shell_front", "lattice_bins", "layer_voxels", "tube_wall", "mass_mg", "particle_sd"):
    check("\n  %s " % key in r.stdout, "--list names %s" % key)
r = run("simulate", "--help")
check("demo, bivo4, si, cylindrical, nmc" in r.stdout, "usage lists the presets: " + r.stdout)
r = run("simulate", "--preset", "wobble", "-o", fresh("x.h5"), status=1)
check("available: demo, bivo4, si, cylindrical, nmc" in r.stderr, r.stderr)
r = run("simulate", "--preset", "nmc", "--set", "lattice_bins=1", "--set", "n=32", "-o",
        fresh("x.h5"), status=1)
check("lattice_bins" in r.stderr and "2 .. 16" in r.stderr, r.stderr)
r = run("simulate", "--preset", "nmc", "--set", "shell_front=-1", "-o", fresh("x.h5"), status=1)
check("shell_front" in r.stderr and "expects a number from 0" in r.stderr, r.stderr)

# Same seed, same bytes, for the new presets (a few voxels each, noise included).
tiny = {"si": ["n=24", "ns=24", "na=4", "nt=2", "nq=200"],
        "cylindrical": ["n=48", "ns=48", "na=4", "nt=2", "nq=200", "tube_wall=2"],
        "nmc": ["n=32", "ns=32", "na=4", "nt=2", "nq=200", "particle_radius=3"]}
for name, sets in tiny.items():
    args = [a for kv in sets for a in ("--set", kv)]
    x, y = fresh(name + "_1.h5"), fresh(name + "_2.h5")
    run("simulate", "--preset", name, *args, "--seed", "5", "-o", x)
    run("simulate", "--preset", name, *args, "--seed", "5", "-o", y)
    with h5py.File(x, "r") as fx, h5py.File(y, "r") as fy:
        names = []
        fx.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) and
                      (n.startswith("entry/integrated") or n.startswith("ground_truth"))
                      else None)
        check("ground_truth/phase_fraction" in names and "entry/integrated/data" in names,
              name + " datasets " + str(names))
        same = all(np.array_equal(fx[n][...], fy[n][...]) for n in names)
        check(same, name + ": same seed, same data")
        check(fx["entry/integrated/data"][...].any(), name + ": data not all zero")
    csv = [open(z.replace(".h5", "_echem.csv")).read() for z in (x, y)]
    check(csv[0] == csv[1], name + ": same electrochemistry")

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
