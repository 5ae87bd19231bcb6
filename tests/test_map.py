"""test_map.py - `tsct map` end to end: a volume with two phases in known places is imported
into a container, maps are computed from its patterns and PDFs, and every map is compared
with numpy (trapezoid rule, straight background through the window edges) to float precision;
combinations, the method attribute, provenance and bad definitions are checked too."""
import os
import subprocess
import sys

import h5py
import numpy as np

from cli_check import TMP, TSCT, check, failures, run


rng = np.random.default_rng(8)
nt, ny, nx, nq, nr = 2, 20, 24, 300, 200
q = np.linspace(0.8, 4.0, nq)
r = np.linspace(0.5, 8.0, nr)
yy, xx = np.mgrid[0:ny, 0:nx]
phase_a = (yy - 8) ** 2 + (xx - 8) ** 2 < 25
phase_b = (yy - 12) ** 2 + (xx - 17) ** 2 < 16
recon = np.zeros((nt, 1, ny, nx, nq), np.float32)
gr = np.zeros((nt, 1, ny, nx, nr), np.float32)
for t in range(nt):
    amp_a = 1.0 - 0.4 * t  # phase A fades
    base = 0.2 + 0.05 * q  # sloping background everywhere
    peak_a = np.exp(-0.5 * ((q - 1.35) / 0.02) ** 2)
    peak_b = np.exp(-0.5 * ((q - 2.76) / 0.015) ** 2)
    recon[t, 0] = base + rng.normal(0, 0.001, (ny, nx, nq))
    recon[t, 0][phase_a] += amp_a * peak_a
    recon[t, 0][phase_b] += 0.7 * peak_b
    gr[t, 0] = np.sin(2 * r) * np.exp(-0.1 * r)
    gr[t, 0][phase_b] += 2.0 * np.exp(-0.5 * ((r - 3.0) / 0.1) ** 2)
src, exp = os.path.join(TMP, "src.h5"), os.path.join(TMP, "exp.h5")
for p in (src, exp):
    if os.path.exists(p):
        os.remove(p)
with h5py.File(src, "w") as f:
    f["recon"], f["q"], f["gr"], f["r"] = recon, q, gr, r
run("import", src + "::/recon", "-a", src + "::/q", "-o", exp)
run("import", src + "::/gr", "-a", src + "::/r", "-s", "pdf", "-o", exp)

defs = os.path.join(TMP, "maps.def")
with open(defs, "w") as f:
    f.write("# test maps\n"
            "A      = window 1.29 1.42\n"
            "B      = window 2.715 2.805\n"
            "A_raw  = window 1.29 1.42 nobg\n"
            "B_gr   = gr 3.0 0.1   # mean of G over 2.9..3.1\n")
run("map", exp, "-d", defs, "--total", "total", "--ratio", "BA=B/A", "--normalise", "An=A",
    "--value", "q2=2.0")


def window(v, lo, hi, bg=True):
    sel = (q >= lo) & (q <= hi)
    x, y = q[sel], v[..., sel].astype(np.float64)
    area = np.trapz(y, x, axis=-1)
    if bg:
        area -= 0.5 * (y[..., 0] + y[..., -1]) * (x[-1] - x[0])
    return area


with h5py.File(exp, "r") as f:
    m = f["entry/maps"]
    for name in ("A", "B", "A_raw", "B_gr", "total", "BA", "An", "q2"):
        check(name in m and m[name].shape == (nt, 1, ny, nx), "map %s present, [nt][nz][ny][nx]" % name)
    ref_a = window(recon, 1.29, 1.42)
    check(np.allclose(m["A"][...], ref_a, rtol=1e-5, atol=1e-6), "A = numpy window area")
    check(np.allclose(m["A_raw"][...], window(recon, 1.29, 1.42, False), rtol=1e-5, atol=1e-6),
          "A without background")
    check(np.allclose(m["B"][...], window(recon, 2.715, 2.805), rtol=1e-5, atol=1e-6), "B")
    check(np.allclose(m["total"][...], recon.sum(-1, dtype=np.float64), rtol=1e-5), "total")
    sel = (r >= 2.9 - 0.04) & (r <= 3.1 + 0.04)
    gmean = np.array([[[[np.interp(np.linspace(2.9, 3.1, 2001), r, gr[t, 0, i, k]).mean()
                         for k in range(nx)] for i in range(ny)]] for t in range(nt)])
    check(np.allclose(m["B_gr"][...], gmean, atol=2e-3), "G(r) mean over 2.9..3.1")
    check(np.allclose(m["q2"][...], np.array([[[[np.interp(2.0, q, recon[t, 0, i, k])
                                                 for k in range(nx)] for i in range(ny)]]
                                              for t in range(nt)]), rtol=1e-5), "value at q = 2")
    a, b = m["A"][...], m["B"][...]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(a != 0, b / a, np.nan)
    check(np.allclose(m["BA"][...], ratio, rtol=1e-5, equal_nan=True), "ratio B/A")
    an = m["An"][...]
    for t in range(nt):
        check(abs(np.percentile(an[t, 0], 99.5) - 1.0) < 1e-5, "normalised at 99.5th percentile")
    # The maps find the phases: thresholding A at half its maximum gives the disc of phase A.
    mask_a = ref_a[0, 0] > 0.5 * ref_a[0, 0].max()
    check((mask_a == phase_a).mean() > 0.99, "phase A map locates phase A")
    check(ref_a[1, 0][phase_a].mean() < 0.7 * ref_a[0, 0][phase_a].mean(), "A fades over time")
    meth = m["A"].attrs["method"].decode()
    check("1.29-1.42" in meth and "linear background" in meth and "/entry/recon" in meth,
          "method attribute: " + meth)
    check("ratio B / A" in m["BA"].attrs["method"].decode(), "ratio method")
    p = f["entry/process/map"]
    check(p.attrs["status"] == b"complete" and b"--ratio BA=B/A" in p.attrs["command"],
          "provenance of the map step")
    check(b"window 2.715 2.805" in p["config"][()], "definitions recorded as the configuration")

# Bad definitions and inputs: clear messages, nothing written.
r1 = run("map", exp, "--window", "X=5.0:6.0", status=1)
check("X: window 5..6 holds 0 bins of the axis 0.8..4" in r1.stderr, "window outside q: " + r1.stderr)
r2 = run("map", exp, "--ratio", "R=A/Z", status=1)
check("uses map \"A\"" in r2.stderr or "uses map \"Z\"" in r2.stderr, "undefined operand: " + r2.stderr)
with open(defs, "w") as f:
    f.write("A = window 1.29\n")
r3 = run("map", exp, "-d", defs, status=1)
check("maps.def: line[1]: window needs LO HI" in r3.stderr, "bad line named: " + r3.stderr)
r4 = run("map", exp, status=2)
check("no map defined" in r4.stderr, "no map")
other = os.path.join(TMP, "other.h5")
if os.path.exists(other):
    os.remove(other)
run("import", src + "::/gr", "-a", src + "::/r", "-s", "pdf", "-o", other)
r5 = run("map", other, "--total", "t", status=1)
check("/entry/recon/data: no such dataset" in r5.stderr, "missing recon: " + r5.stderr)
# Coverage: one threshold for the series, counts per time step, masks, differences, table.
table = os.path.join(TMP, "coverage.csv")
run("coverage", exp, "--map", "A", "--threshold", "abs:0.025", "--masks", "--difference", "0",
    "-o", table)
with h5py.File(exp, "r") as f:
    a = f["entry/maps/A"][...]
    want = (np.nan_to_num(a, nan=-np.inf) > 0.025)
    check(np.array_equal(f["entry/maps/A_mask"][...] > 0.5, want), "masks = A > 0.025")
    check(np.allclose(f["entry/maps/A_diff"][...], a - a[0:1], equal_nan=True), "A - A[t=0]")
    check(b"A minus its time step 0" in f["entry/maps/A_diff"].attrs["method"], "diff method")
rows = [l.split(",") for l in open(table).read().splitlines() if l and not l.startswith(("#", "time"))]
counts = [int(r_[2]) for r_ in rows]
check(counts == [int(want[t, 0].sum()) for t in range(nt)], "table counts %s" % counts)
check(abs(float(rows[1][3]) - counts[1] / counts[0]) < 1e-6, "fraction of the initial")
# Otsu on the first time step separates the disc of phase A.
r6 = run("coverage", exp, "--map", "A", "--open", "1")
otsu_count = int(r6.stdout.splitlines()[2].split(",")[2])
check(abs(otsu_count - phase_a.sum()) <= 0.05 * phase_a.sum(), "otsu coverage %d vs %d" %
      (otsu_count, phase_a.sum()))
# The threshold from another time step (a phase absent at first): pct on time step 1, and
# max: the step whose map has the largest 99.5th percentile.
r_t = run("coverage", exp, "--map", "A", "--threshold", "pct:99:0.5", "--threshold-time", "1")
fin = a[1, 0][np.isfinite(a[1, 0])]
thr_t = float(r_t.stdout.splitlines()[0].split("threshold ")[1].split()[0])
check(abs(thr_t - 0.5 * np.percentile(fin, 99)) <= 1e-6 * abs(thr_t) and
      "time step 1" in r_t.stdout.splitlines()[0], "threshold from time step 1: " +
      r_t.stdout.splitlines()[0])
p995 = [np.percentile(a[t, 0][np.isfinite(a[t, 0])], 99.5) for t in range(nt)]
r_m = run("coverage", exp, "--map", "A", "--threshold-time", "max")
check("time step %d)" % int(np.argmax(p995)) in r_m.stdout.splitlines()[0],
      "max picks the step with the largest 99.5th percentile: " + r_m.stdout.splitlines()[0])
r_b = run("coverage", exp, "--map", "A", "--threshold-time", "9", status=1)
check("--threshold-time: the map has 2 time steps" in r_b.stderr, r_b.stderr)
r7 = run("coverage", exp, "--map", "nothing", status=1)
check("/entry/maps/nothing: no such dataset" in r7.stderr, "missing map: " + r7.stderr)
r8 = run("coverage", exp, "--map", "A", "--threshold", "median", status=1)
check("expected otsu, abs:VALUE or pct:P" in r8.stderr, "bad threshold rule")
r9 = run("coverage", exp, "--map", "A", "--difference", "5", "--masks", status=1)
check("has 2 time steps" in r9.stderr, "difference reference out of range")
print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
