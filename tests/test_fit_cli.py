"""test_fit_cli.py - `tsct fit peak` end to end.

Voxel mode: a container (made with h5py and `tsct import`) holds 3 time steps of 14 x 14 voxel
patterns; a disk of material carries one pseudo-Voigt reflection on a sloping background
whose position follows a known lattice drift, q(t, x) = q0 / (1 + 0.002 t + 0.0005 x) (a
lattice parameter growing 0.2 % per time step and 0.05 % per voxel column), with Gaussian
noise of known sigma. The fitted positions must recover the drift within their ESDs (the
normalised errors (fit - truth) / ESD have a standard deviation within 0.67..1.5, and none
exceeds 5), outside the disk everything is NaN, a few voxels agree with
scipy.optimize.curve_fit run live on the stored float32 patterns, --maps copies the chosen
parameters, --mask-map and --source pdf work, and the layout and attributes are those of
docs/FORMAT.md.

Series mode: /entry/regions/core/{pattern,q,pdf,r} made with h5py plus
/entry/echem/tomogram_{capacity,voltage} give a CSV table with capacity and voltage columns;
.xy text files give one row per file.

Bad inputs: a window outside the axis, an empty mask, a peak outside the window, an unknown
profile, an unknown --maps parameter: clear messages and exit codes 1 or 2.
"""
import csv
import io
import os
import subprocess
import sys

import h5py
import numpy as np
from scipy.optimize import curve_fit

from cli_check import TMP, TSCT, check, failures, run


GA = 4 * np.log(2)


def pv(x, a, x0, w, eta):
    u = (x - x0) / w
    return a * (eta * (2 / np.pi) / w / (1 + 4 * u * u)
                + (1 - eta) * np.sqrt(GA / np.pi) / w * np.exp(-GA * u * u))


rng = np.random.default_rng(20261122)
nt, ny, nx, nq = 3, 14, 14, 240
q = np.linspace(1.5, 2.7, nq)
q0, area, fwhm, eta, noise = 2.1, 0.5, 0.03, 0.4, 0.08
yy, xx = np.mgrid[0:ny, 0:nx]
disk = (yy - 6.5) ** 2 + (xx - 6.5) ** 2 < 36
truth = np.full((nt, ny, nx), np.nan)
recon = np.zeros((nt, 1, ny, nx, nq), np.float32)
for t in range(nt):
    for y in range(ny):
        for x in range(nx):
            pat = 0.01 * rng.standard_normal(nq)
            if disk[y, x]:
                pos = q0 / (1 + 0.002 * t + 0.0005 * x)
                truth[t, y, x] = pos
                pat = 2.0 - 0.3 * (q - 2.1) + pv(q, area, pos, fwhm, eta) + \
                    noise * rng.standard_normal(nq)
            recon[t, 0, y, x] = pat
r_axis = np.linspace(0.5, 6.0, 200)
gr = np.zeros((nt, 1, ny, nx, 200), np.float32)
gr[..., :] = np.exp(-0.5 * ((r_axis - 2.9) / 0.08) ** 2) * 3.0
src, exp = os.path.join(TMP, "src.h5"), os.path.join(TMP, "exp.h5")
for p in (src, exp):
    if os.path.exists(p):
        os.remove(p)
with h5py.File(src, "w") as f:
    f["recon"], f["q"], f["gr"], f["r"] = recon, q, gr, r_axis
run("import", src + "::/recon", "-a", src + "::/q", "-o", exp)
run("import", src + "::/gr", "-a", src + "::/r", "-s", "pdf", "-o", exp)

# ---- voxel mode ---------------------------------------------------------------------------
run("--threads", "2", "fit", "peak", exp, "--window", "1.95:2.25", "--peak", "pv@2.1",
    "--background", "1", "--name", "drift", "--maps", "position_1,area_1")
with h5py.File(exp, "r") as f:
    g = f["entry/fits/drift"]
    par, esd = g["parameters"][()], g["esd"][()]
    rwp, rc, status = g["rwp"][()], g["redchi2"][()], g["status"][()]
    names = g["parameters"].attrs["parameters"].decode()
    check(names == "area_1,position_1,fwhm_1,eta_1,bg_0,bg_1", "parameter names: " + names)
    check(esd.shape == par.shape == (nt, 1, ny, nx, 6), "shapes %s" % (par.shape,))
    check(rwp.shape == rc.shape == status.shape == (nt, 1, ny, nx), "rank-4 outputs")
    check("pseudo-voigt" in g["parameters"].attrs["model"].decode(), "model attribute")
    check("converged" in g["status"].attrs["codes"].decode(), "status codes attribute")
    m = f["entry/maps"]
    check(np.array_equal(m["drift_position_1"][()], par[..., 1], equal_nan=True),
          "--maps position_1 equals the parameter")
    check(np.array_equal(m["drift_area_1"][()], par[..., 0], equal_nan=True), "--maps area_1")
    check("position_1" in m["drift_position_1"].attrs["method"].decode(), "map method attribute")
    check("fit_drift" in f["entry/process"], "provenance /entry/process/fit_drift")
inside = np.broadcast_to(disk, (nt, ny, nx))
s = status[:, 0]
check(np.all(np.isnan(s[~inside])) and np.all(np.isnan(par[:, 0][~inside])),
      "NaN outside the mask (the disk)")
check(np.all(s[inside] == 0), "every disk voxel converged: %s" % np.unique(s[inside]))
z = (par[:, 0, :, :, 1][inside] - truth[inside]) / esd[:, 0, :, :, 1][inside]
print("positions: %d voxels, normalised error std %.3f, max |z| %.2f, mean ESD %.2e 1/A"
      % (z.size, z.std(), np.abs(z).max(), esd[:, 0, :, :, 1][inside].mean()))
check(0.67 < z.std() < 1.5 and np.abs(z).max() < 5, "drift recovered within the ESDs")
# The drift itself: the mean fitted position per time step falls as q0 / (1 + 0.002 t).
for t in range(nt):
    d = par[t, 0, :, :, 1][disk] - truth[t][disk]
    check(abs(d.mean()) < 4 * esd[t, 0, :, :, 1][disk].mean() / np.sqrt(disk.sum()),
          "time step %d: mean position error %.2e" % (t, d.mean()))
check(np.nanmax(np.abs(rc[:, 0][inside] - noise ** 2) / noise ** 2) < 0.6,
      "reduced chi2 near sigma^2 (unit weights)")

# scipy.optimize.curve_fit, live, on the stored float32 patterns of three voxels.
xc = 2.1
sel = (q >= 1.95) & (q <= 2.25)
with h5py.File(exp, "r") as f:
    stored = f["entry/recon/data"]
    for t, y, x in ((0, 6, 6), (1, 3, 8), (2, 10, 4)):
        yv = stored[t, 0, y, x][sel].astype(np.float64)
        model = lambda xv, a, x0, w, e, c0, c1: pv(xv, a, x0, w, e) + c0 + c1 * (xv - xc)  # noqa
        popt, pcov = curve_fit(model, q[sel], yv, p0=par[t, 0, y, x].astype(np.float64),
                               ftol=1e-14, xtol=1e-14, maxfev=10000)
        perr = np.sqrt(np.diag(pcov))
        # float32 storage of tsct's results: 1e-5 relative (with the ESD as floor).
        check(np.all(np.abs(popt - par[t, 0, y, x]) <= 1e-5 * np.abs(popt) + 1e-3 * perr),
              "voxel %s: curve_fit %s vs tsct %s" % ((t, y, x), popt, par[t, 0, y, x]))
        check(np.all(np.abs(perr - esd[t, 0, y, x]) <= 1e-3 * perr),
              "voxel %s ESDs: curve_fit %s vs tsct %s" % ((t, y, x), perr, esd[t, 0, y, x]))

# --mask-map: fit only a 2 x 2 block; other voxels NaN.
with h5py.File(exp, "a") as f:
    mm = np.zeros((1, 1, ny, nx), np.float32)
    mm[0, 0, 5:7, 5:7] = 1
    f["entry/maps/block"] = mm
    f["entry/maps/nothing"] = np.zeros((1, 1, ny, nx), np.float32)
run("fit", "peak", exp, "-w", "1.95:2.25", "-p", "pv@2.1", "-n", "block", "--mask-map", "block")
with h5py.File(exp, "r") as f:
    st = f["entry/fits/block/status"][()]
    check(np.sum(~np.isnan(st)) == 4 * nt, "--mask-map fits exactly the mask's voxels")
    check(np.array_equal(f["entry/fits/block/parameters"][:, 0, 5:7, 5:7],
                         f["entry/fits/drift/parameters"][:, 0, 5:7, 5:7]),
          "the same voxels give the same numbers")
# --source pdf: x = r.
run("fit", "peak", exp, "--source", "pdf", "-w", "2.5:3.3", "-p", "g", "-b", "0", "-n", "gr")
with h5py.File(exp, "r") as f:
    p = f["entry/fits/gr/parameters"][()]
    ok = ~np.isnan(p[..., 1])
    check(ok.sum() == nt * disk.sum(), "pdf source uses the recon threshold mask")
    check(np.allclose(p[..., 1][ok], 2.9, atol=1e-4), "G(r) peak at 2.9 A")
    check(np.allclose(p[..., 0][ok], 3.0 * 0.08 * np.sqrt(2 * np.pi), rtol=1e-3), "G(r) area")

# --source pdf in a container without /entry/recon: voxels with finite G in the window.
exp2 = os.path.join(TMP, "pdfonly.h5")
if os.path.exists(exp2):
    os.remove(exp2)
gnan = gr.copy()
gnan[:, 0][:, ~disk] = np.nan
with h5py.File(src, "a") as f:
    f["gnan"] = gnan
run("import", src + "::/gnan", "-a", src + "::/r", "-s", "pdf", "-o", exp2)
run("fit", "peak", exp2, "--source", "pdf", "-w", "2.5:3.3", "-p", "g", "-b", "0", "-n", "gr")
with h5py.File(exp2, "r") as f:
    st2 = f["entry/fits/gr/status"][:, 0]
    check(np.all(np.isnan(st2[~inside])) and np.all(st2[inside] == 0),
          "pdf without recon: NaN G is outside the mask")

# ---- series mode --------------------------------------------------------------------------
region = recon[:, 0][:, disk].mean(axis=1)  # [nt][nq]
with h5py.File(exp, "a") as f:
    g = f.require_group("entry/regions/core")
    g["pattern"], g["q"] = region, q
    g["pdf"], g["r"] = gr[:, 0, 0, 0], r_axis
    e = f.require_group("entry/echem")
    e["tomogram_capacity"] = np.array([0.0, 12.5, 25.0])
    e["tomogram_voltage"] = np.array([3.1, 2.9, 2.7])
csv_path = os.path.join(TMP, "core.csv")
run("fit", "peak", "--series", exp + "::/entry/regions/core/pattern", "-w", "1.95:2.25", "-p",
    "pv@2.1", "-o", csv_path)
rows = list(csv.DictReader(open(csv_path)))
check(len(rows) == nt, "one row per time step")
check(list(rows[0].keys())[:4] == ["index", "source", "capacity", "voltage"], "columns")
check("position_1_esd" in rows[0] and "redchi2" in rows[0], "parameter and ESD columns")
for t, row in enumerate(rows):
    check(float(row["capacity"]) == [0.0, 12.5, 25.0][t], "capacity column")
    check(float(row["voltage"]) == [3.1, 2.9, 2.7][t], "voltage column")
    mean_pos = np.mean(q0 / (1 + 0.002 * t + 0.0005 * xx[disk]))
    # The region mean is a blend of shifted peaks: its position is the mean within 1e-4.
    check(abs(float(row["position_1"]) - mean_pos) < 1e-4,
          "series position %s vs %g" % (row["position_1"], mean_pos))
# The PDF of the region: r axis chosen beside it.
r = run("fit", "peak", "--series", exp + "::/entry/regions/core/pdf", "-w", "2.5:3.3", "-p", "g",
        "-b", "0")
rows = list(csv.DictReader(io.StringIO(r.stdout)))
check(len(rows) == nt and abs(float(rows[0]["position_1"]) - 2.9) < 1e-4, "series on r")
# Text files: one row per file, no electrochemistry columns.
files = []
for i in range(2):
    path = os.path.join(TMP, "p%d.xy" % i)
    np.savetxt(path, np.stack([q, region[i]], axis=1), header="q I")
    files.append(path)
r = run("fit", "peak", "--series", *files, "-w", "1.95:2.25", "-p", "pv@2.1")
rows = list(csv.DictReader(io.StringIO(r.stdout)))
check(len(rows) == 2 and "capacity" not in rows[0] and rows[1]["source"] == files[1],
      "text series")

# ---- bad inputs ---------------------------------------------------------------------------
r = run("fit", "peak", exp, "-w", "5:6", "-p", "pv", "-n", "bad", status=1)
check("window 5..6 holds 0 points of the axis 1.5..2.7" in r.stderr, "window outside: " + r.stderr)
r = run("fit", "peak", exp, "-w", "1.9:2.2", "-p", "pv", "-n", "bad", "--mask-map", "nothing",
        status=1)
check("mask is empty" in r.stderr, "empty mask: " + r.stderr)
r = run("fit", "peak", exp, "-w", "1.9:2.2", "-p", "pv@2.5", "-n", "bad", status=1)
check("peak 1 at 2.5 lies outside the window 1.9..2.2" in r.stderr, "peak outside: " + r.stderr)
r = run("fit", "peak", exp, "-w", "1.9:2.2", "-p", "voigt@2.1", "-n", "bad", status=2)
check("unknown profile \"voigt\"" in r.stderr, "unknown profile: " + r.stderr)
r = run("fit", "peak", exp, "-w", "1.9:2.2", "-p", "pv", "-n", "bad", "--maps", "width_1",
        status=1)
check("no parameter \"width_1\"" in r.stderr, "unknown map parameter: " + r.stderr)
r = run("fit", "peak", exp, "-p", "pv", "-n", "bad", status=2)
check("missing --window" in r.stderr, "missing window")
r = run("fit", "peak", "--series", exp + "::/entry/regions/core/nope", "-w", "1.9:2.2", "-p",
        "pv", status=1)
check("/entry/regions/core/nope" in r.stderr, "missing series dataset named: " + r.stderr)
with h5py.File(exp, "r") as f:
    check("bad" not in f["entry/fits"], "failed runs leave no result")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
