"""test_particles.py - `tsct particles`: particle labels, depth below the surface, parameter by
depth, against scipy.ndimage (Debian's /usr/bin/python3).

A map with three discs (and a 2-voxel speck that --min-size removes) and a parameter map that
grows linearly with the depth below the disc surfaces are made through `tsct import` and
`tsct map --value`. The particle labels must be scipy.ndimage.label's components (8-connected),
the depth map scipy's distance_transform_edt of the mask exactly, and the parameter-by-depth
table the shell means computed here (1e-6).
"""
import csv
import io
import os

import h5py
import numpy as np
from scipy import ndimage

from cli_check import TMP, check, finish, run

W = os.path.join(TMP, "particles")
os.makedirs(W, exist_ok=True)
src, exp = os.path.join(W, "src.h5"), os.path.join(W, "exp.h5")
for p in (src, exp):
    if os.path.exists(p):
        os.remove(p)
ny = nx = 40
yy, xx = np.mgrid[0:ny, 0:nx]
mask = np.zeros((ny, nx), bool)
for cy, cx, r in ((10, 10, 6), (28, 12, 4.5), (20, 30, 8)):
    mask |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
speck = np.zeros_like(mask)
speck[36, 36:38] = True
depth = ndimage.distance_transform_edt(mask)
a = np.where(mask | speck, 5.0, 0.0)
b = np.where(mask, 10.0 + 0.5 * depth, 0.0)
with h5py.File(src, "w") as f:
    f["recon"] = np.stack([a, b], axis=-1)[None, None].astype(np.float32)
    f["q"] = np.array([1.0, 2.0])
run("import", src + "::/recon", "-a", src + "::/q", "-o", exp)
run("map", exp, "--value", "A=1", "--value", "B=2")
bd = os.path.join(W, "depth.csv")
r = run("particles", exp, "--map", "A", "--parameter", "B", "--min-size", "4", "--shells", "8",
        "--by-depth", bd)
rows = list(csv.DictReader(io.StringIO(r.stdout)))
lab, n = ndimage.label(mask, structure=np.ones((3, 3)))
check(len(rows) == n == 3, "three particles (speck removed): %d" % len(rows))
sizes = sorted(int(x["voxels"]) for x in rows)
check(sizes == sorted(np.bincount(lab.ravel())[1:].tolist()), "sizes %s" % sizes)
with h5py.File(exp, "r") as f:
    got_lab = f["entry/maps/A_particles"][0, 0]
    got_depth = f["entry/maps/A_depth"][0, 0]
check(np.array_equal(got_lab > 0, mask), "particle voxels are the discs")
check(len(np.unique(got_lab[got_lab > 0])) == 3, "three labels")
check(np.abs(got_depth - depth).max() < 1e-5, "depth = distance_transform_edt")
table = list(csv.DictReader(open(bd)))
for row in table:
    k = int(row["shell"])
    sel = mask & (depth >= k + 1) & (depth < k + 2)
    if sel.sum() == 0:
        check(int(row["count"]) == 0, "shell %d empty" % k)
        continue
    want = b[sel].mean()
    check(int(row["count"]) == sel.sum() and abs(float(row["mean"]) - want) < 1e-5 * want,
          "shell %d: %s vs %.6f over %d voxels" % (k, row["mean"], want, sel.sum()))

r = run("particles", exp, "--map", "nothing", status=1)
check("/entry/maps/nothing: no such map" in r.stderr, r.stderr)
r = run("particles", exp, status=2)
check("missing --map" in r.stderr, r.stderr)
r = run("particles", exp, "--map", "A", "--by-depth", bd, status=2)
check("--by-depth needs --parameter" in r.stderr, r.stderr)
finish("test_particles")
