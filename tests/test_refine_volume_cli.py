"""test_refine_volume_cli.py - `tsct refine -c CFG EXP.h5`: per-voxel refinement of a volume
end to end through the command (the library's checks are in test_refine_volume.c).

A 1 x 8 x 8 volume (h5py + `tsct import`) of CeO2 patterns from tsct's powder pattern
(tsct.kernels.powder_pattern, the CIF's cell) stretched in Q to a per-voxel lattice parameter
a = a0 (1 + 4e-4 (x - 3.5) / 3.5) (a cubic pattern at a' is the pattern at a evaluated at
Q a' / a), on a flat background, with Gaussian noise; zero outside a disk. The a map must
follow the stretch within 1e-5 relative (the powder pattern's and the refinement's peak
shapes differ a little), be NaN outside the sample with status NaN there and 0 inside;
a rerun on one thread writes the same maps; usage errors exit 2; a bad `voxel`
parameter exits 1 naming the configuration and the parameter. `tsct figure map --map
refine/ceo2/CeO2/a` draws the a map (viridis index growing with x, checked by pixels) and
`tsct particles --parameter refine/ceo2/CeO2/a` averages it by depth (every shell A0 within
2e-5: the shells are symmetric about the stretch's centre).
"""
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_check  # noqa: E402

cli_check.preload_asan()
from cli_check import TMP, check, finish, run  # noqa: E402

os.environ.setdefault("TSCT_LIBRARY", os.path.join(os.environ["TSCT_BUILD"], "libtsct.so"))
sys.path.insert(0, os.path.join(os.environ["TSCT_SRC"], "python"))
import tsct  # noqa: E402

CIF = os.path.join(os.environ["TSCT_DATA"], "cif", "CeO2_COD9009008.cif")
W = os.path.join(TMP, "refine_volume_cli")
os.makedirs(W, exist_ok=True)
WL, A0 = 0.2, 5.4110  # A0: the CIF's cell, at which powder_pattern computes
n, nq = 8, 900
q = np.linspace(1.5, 6.0, nq)
qf = np.linspace(1.4, 6.2, 8 * nq)
base = tsct.kernels.powder_pattern(CIF, qf, WL, size_nm=120, w=2e-5).y
base *= 400 / base.max()
rng = np.random.default_rng(20261207)
recon = np.zeros((1, 1, n, n, nq), np.float32)
truth = np.full((n, n), np.nan)
for y in range(n):
    for x in range(n):
        if (y - 3.5) ** 2 + (x - 3.5) ** 2 > 12:
            continue
        a = A0 * (1 + 4e-4 * (x - 3.5) / 3.5)
        truth[y, x] = a
        recon[0, 0, y, x] = np.interp(q * a / A0, qf, base) + 10 + rng.normal(0, 0.5, nq)
src, exp = os.path.join(W, "src.h5"), os.path.join(W, "exp.h5")
for p in (src, exp):
    if os.path.exists(p):
        os.remove(p)
with h5py.File(src, "w") as f:
    f["recon"], f["q"] = recon, q
run("import", src + "::/recon", "-a", src + "::/q", "-o", exp)

cfg = os.path.join(W, "vol.cfg")
with open(cfg, "w") as f:
    f.write("""[data]
wavelength = %g
range = 1.6 5.9
[background]
terms = 3
voxel = all
[instrument]
refine = W Y
[phase.CeO2]
cif = %s
refine = scale a
voxel = scale a
""" % (WL, CIF))
r = run("--threads", "2", "refine", "-c", cfg, exp, "--name", "ceo2")
with h5py.File(exp, "r") as f:
    g = f["entry/refine/ceo2"]
    a, ae, st = g["CeO2/a"][0, 0], g["CeO2/a_esd"][0, 0], g["status"][0, 0]
    wf = g["CeO2/weight_fraction"][0, 0]
    check("refine_ceo2" in f["entry/process"], "no /entry/process/refine_ceo2")
inside = np.isfinite(truth)
rel = np.abs(a[inside] / truth[inside] - 1)
print("a map: largest |a/a_true - 1| %.2e over %d voxels, median ESD %.2e A" %
      (rel.max(), inside.sum(), np.median(ae[inside])))
check(rel.max() < 1e-5, "a map off by %.2e" % rel.max())
check(np.all(st[inside] == 0) and np.all(np.isnan(st[~inside])), "status map")
check(np.all(np.isnan(a[~inside])) and np.all(np.isnan(ae[~inside])), "NaN outside")
check(np.allclose(wf[inside], 1), "one phase: weight fraction 1")
run("--threads", "1", "refine", "-c", cfg, exp, "--name", "ceo2")
with h5py.File(exp, "r") as f:
    a1 = f["entry/refine/ceo2/CeO2/a"][0, 0]
check(np.array_equal(a1[inside], a[inside]), "a rerun on one thread: the same maps")
r = run("refine", "-c", cfg, exp, "-o", "x", status=2)
r = run("refine", "-c", cfg, "--name", "x", status=2)
bad = os.path.join(W, "bad.cfg")
with open(bad, "w") as f:
    f.write(open(cfg).read().replace("voxel = scale a", "voxel = scale a size2"))
r = run("refine", "-c", bad, exp, status=1)
check("bad.cfg" in r.stderr and "size2" in r.stderr, "message: " + r.stderr.strip())
# ---- figures and depth profiles of the refined maps ------------------------------------------
# The a map drawn by tsct figure map (name refine/NAME/PHASE/PARAM): its voxels' colours are
# viridis entries whose index grows from left to right as a does; the colour bar says A.
png = os.path.join(W, "a.png")
if os.path.exists(png):
    os.remove(png)
run("figure", "map", exp, "--map", "refine/ceo2/CeO2/a", "-o", png)
from PIL import Image  # noqa: E402
from matplotlib import cm  # noqa: E402
img = np.asarray(Image.open(png).convert("RGB")).astype(int)
viridis = (np.asarray(cm.get_cmap("viridis")(np.arange(256) / 255.0))[:, :3] * 255 + 0.5)
index = {tuple(c): i for i, c in enumerate(viridis.astype(int))}
h, w = img.shape[:2]
# the voxels: viridis pixels of the middle rows, left of the colour bar (the rightmost run of
# viridis columns is the bar)
mid = img[h // 2]
cols = [x for x in range(w) if tuple(mid[x]) in index]
check(len(cols) > 50, "viridis pixels on the middle row: %d" % len(cols))
if cols:
    gaps = [i for i in range(1, len(cols)) if cols[i] - cols[i - 1] > 3]
    voxels = cols[:gaps[-1]] if gaps else cols
    idx = np.array([index[tuple(mid[x])] for x in voxels])
    r = np.corrcoef(np.array(voxels, float), idx)[0, 1]
    print("figure map of a: %d voxel pixels on the middle row, index %d .. %d, correlation "
          "with x %.3f" % (len(voxels), idx.min(), idx.max(), r))
    check(r > 0.95 and idx.max() - idx.min() > 150, "a map colours do not grow with x")
# a depth profile through tsct particles: the disk is one particle, and its shells are
# symmetric about the centre column, so every shell's mean a is A0 (the mean stretch)
run("map", exp, "--total", "total")
csv, table = os.path.join(W, "depth.csv"), os.path.join(W, "particles.csv")
for p in (csv, table):
    if os.path.exists(p):
        os.remove(p)
run("particles", exp, "--map", "total", "--threshold", "0.3", "--parameter",
    "refine/ceo2/CeO2/a", "--by-depth", csv, "-o", table)
rows = np.genfromtxt(csv, delimiter=",", names=True)
rows = rows[rows["count"] > 0]  # shells deeper than the particle are empty
print("a by depth:", ["%.1f: %.6f" % (d, m)
                     for d, m in zip(rows["mean_depth_voxels"], rows["mean"])])
check(rows.size >= 2 and np.all(np.abs(rows["mean"] / A0 - 1) < 2e-5),
      "a by depth differs from %.4f" % A0)
finish("test_refine_volume_cli")
