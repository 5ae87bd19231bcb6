"""test_echem_cli.py - `tsct echem`: state of charge of every tomogram of a simulated experiment.

The demo experiment (6 tomograms over two 10-hour cycles, 1 mg of BiVO4) comes with the
simulator's electrochemistry CSV, whose capacity column is the kinetic model's. Each tomogram
is acquired over its share of the experiment (12000 s). The time-weighted mean capacity and
voltage over each window, computed here independently from the CSV (trapezoid rule on the
simulator's own capacity column), must match tsct's (which integrates the current itself)
within 0.5 % of the largest capacity and 2 mV; the container gets /entry/echem; bad inputs
are refused with the file and the column or window named.
"""
import os

import h5py
import numpy as np

from cli_check import TMP, check, finish, run

exp = os.path.join(TMP, "echem.h5")
csv = exp.replace(".h5", "_echem.csv")
for p in (exp, csv):
    if os.path.exists(p):
        os.remove(p)
run("simulate", "--preset", "demo", "-o", exp)
table = os.path.join(TMP, "soc.csv")
run("echem", exp, csv, "--mass", "1", "--period", "12000", "-o", table)

data = np.genfromtxt(csv, delimiter=",", skip_header=2)
t, v, cap = data[:, 0], data[:, 1], data[:, 3] / 1e-3  # mAh -> mAh/g for 1 mg


def window_mean(y, a, b):
    grid = np.linspace(a, b, 20001)
    return np.trapz(np.interp(grid, t, y), grid) / (b - a)


got = np.genfromtxt(table, delimiter=",", names=True)
check(len(got) == 6, "six tomograms")
with h5py.File(exp, "r") as f:
    e = f["entry/echem"]
    check(np.allclose(e["tomogram_capacity"][...], got["capacity_mAh_g"], rtol=1e-6),
          "container and table agree")
    check(len(e["time"]) == len(t), "the whole record stored")
for k in range(6):
    a, b = 12000.0 * k, 12000.0 * (k + 1)
    want_c, want_v = window_mean(cap, a, b), window_mean(v, a, b)
    dc = abs(got["capacity_mAh_g"][k] - want_c)
    dv = abs(got["voltage_V"][k] - want_v)
    print("t=%d: capacity %.2f (CSV %.2f) mAh/g, voltage %.4f (CSV %.4f) V"
          % (k, got["capacity_mAh_g"][k], want_c, got["voltage_V"][k], want_v))
    check(dc < 0.005 * cap.max(), "tomogram %d capacity off by %.2f mAh/g" % (k, dc))
    check(dv < 2e-3, "tomogram %d voltage off by %.4f V" % (k, dv))

# The coverage table carries each tomogram's state of charge.
run("sinogram", exp)
run("recon", exp)
run("map", exp, "--total", "total")
cov = os.path.join(TMP, "coverage.csv")
run("coverage", exp, "--map", "total", "-o", cov)
rows = np.genfromtxt(cov, delimiter=",", names=True, skip_header=1)
check("capacity_mAh_g" in rows.dtype.names, "coverage has a capacity column")
if "capacity_mAh_g" in rows.dtype.names:
    check(np.allclose(rows["capacity_mAh_g"], got["capacity_mAh_g"], atol=1e-3) and
          np.allclose(rows["voltage_V"], got["voltage_V"], atol=1e-4), "coverage indexed by SOC")
    with h5py.File(exp, "r") as f:
        half = f["entry/echem/tomogram_half_cycle"][...]
    check("half_cycle" in rows.dtype.names and np.array_equal(rows["half_cycle"], half),
          "coverage carries the half cycle of each tomogram")

r = run("echem", exp, csv, "--mass", "1", "--period", "12000", "--voltage-col", "nothing",
        status=1)
check("nothing" in r.stderr and "_echem.csv" in r.stderr, r.stderr)
r = run("echem", exp, csv, "--mass", "1", "--period", "20000", status=1)
check("tomogram 3 (60000.0 .. 80000.0 s)" in r.stderr, "a window beyond the record: " + r.stderr)
r = run("echem", exp, csv, "--period", "12000", status=2)
check("missing --mass" in r.stderr, r.stderr)
r = run("echem", exp, csv, "--mass", "1", status=2)
check("--period" in r.stderr and "--windows" in r.stderr, r.stderr)
finish("test_echem_cli")
