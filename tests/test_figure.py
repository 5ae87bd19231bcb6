"""test_figure.py - `tsct figure`: PNG figures of maps, grids, composites, films and tables.

A known map (a ramp from 0 to 899 over 30 x 30 voxels, one NaN voxel) is imported as a
reconstruction with two channels of half the value each, turned into a map (`tsct map --total`) and drawn. Checked
with PIL and matplotlib (Debian's /usr/bin/python3): the PNG has the requested size; the
image area holds exactly the colours of matplotlib's viridis for the map's values (every
voxel colour is viridis at (v - vmin) / (vmax - vmin), quantised to 256 entries as tsct does),
the NaN voxel is light grey, the colour bar runs through the whole of viridis, top to
bottom; grids, composites, films and line plots are valid PNGs that are not blank;
bad input gets clear errors.
"""
import os

import h5py
import numpy as np
from matplotlib import cm
from PIL import Image

from cli_check import TMP, check, finish, run

W = os.path.join(TMP, "figure")
os.makedirs(W, exist_ok=True)
src, exp = os.path.join(W, "src.h5"), os.path.join(W, "exp.h5")
for p in (src, exp):
    if os.path.exists(p):
        os.remove(p)
ny = nx = 30
ramp = np.arange(ny * nx, dtype=np.float32).reshape(ny, nx)
ramp[5, 7] = np.nan
with h5py.File(src, "w") as f:
    f["recon"] = np.stack([ramp / 2, ramp / 2], axis=-1)  # two channels: total = ramp
    f["q"] = np.array([1.0, 2.0])
run("import", src + "::/recon", "-a", src + "::/q", "-o", exp)
run("map", exp, "--total", "ramp")

png = os.path.join(W, "ramp.png")
run("figure", "map", exp, "--map", "ramp", "--vmin", "0", "--vmax", "899", "--size",
    "640x560", "-o", png)
img = np.asarray(Image.open(png).convert("RGB")).astype(int)
check(img.shape == (560, 640, 3), "size %s" % (img.shape,))
colours = {tuple(c) for c in img.reshape(-1, 3)}
viridis = (np.asarray(cm.get_cmap("viridis")(np.arange(256) / 255.0))[:, :3] * 255 + 0.5)
viridis = viridis.astype(int)
want = set()
for v in ramp.ravel():
    if np.isfinite(v):
        want.add(tuple(viridis[int(np.floor(v / 899.0 * 255 + 0.5))]))
missing = [c for c in want if c not in colours]
check(not missing, "%d voxel colours of viridis missing from the figure" % len(missing))
check((216, 216, 216) in colours, "NaN voxel drawn light grey")
# The colour bar: a column right of the image whose colours are viridis entries, top to
# bottom with falling luminance.
vset = {tuple(c) for c in viridis}
best = None
for col in range(img.shape[1] - 1, img.shape[1] // 2, -1):  # from the right edge
    run_ = [tuple(c) for c in img[:, col] if tuple(c) in vset]
    if len(run_) > img.shape[0] // 2:
        best = [c for c in img[:, col] if tuple(c) in vset]
        break
check(best is not None, "colour bar found")
if best is not None:
    index = {tuple(c): i for i, c in enumerate(viridis)}
    idx = [index[tuple(c)] for c in best]
    check(all(a >= b for a, b in zip(idx, idx[1:])) and idx[0] >= 250 and idx[-1] <= 5,
          "colour bar runs through viridis from top (%d) to bottom (%d)" % (idx[0], idx[-1]))

# Grid, composite, film, plot, all.
for kind, args in (("grid", ["--map", "ramp"]),
                   ("composite", ["--phase", "ramp:red"]),
                   ("film", [])):
    out = os.path.join(W, kind + ".png")
    run("figure", kind, exp, *args, "-o", out)
    im = np.asarray(Image.open(out).convert("RGB"))
    check(im.shape == (600, 720, 3), "%s: default size %s" % (kind, im.shape))
    check(len({tuple(c) for c in im.reshape(-1, 3)}) > 50, kind + ": not blank")
table = os.path.join(W, "table.csv")
with open(table, "w") as f:
    f.write("t,a,a_esd,b\n" + "".join("%d,%g,%g,%g\n" % (t, t * t, 0.5, 3 - t) for t in range(6)))
out = os.path.join(W, "plot.png")
run("figure", "plot", table, "--x", "t", "--y", "a,b", "--err", "a_esd,a_esd", "-o", out)
check(len({tuple(c) for c in np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3)}) > 20,
      "plot not blank")
folder = os.path.join(W, "all")
run("figure", "all", exp, "-o", folder, "--composite", "ramp:green")
check(sorted(os.listdir(folder)) == ["composite_t0000.png", "film.png", "map_ramp.png"],
      "all: %s" % os.listdir(folder))

# Bad input.
r = run("figure", "map", exp, "--map", "nothing", "-o", png, status=1)
check("/entry/maps/nothing: no such map" in r.stderr, r.stderr)
r = run("figure", "plot", table, "--x", "t", "--y", "zz", "-o", out, status=1)
check("zz: no such column" in r.stderr, r.stderr)
r = run("figure", "map", exp, "--map", "ramp", "--t", "3", "-o", png, status=1)
check("1 time steps" in r.stderr, r.stderr)
r = run("figure", "map", exp, "--map", "ramp", "-o", os.path.join(W, "no/such/dir/x.png"),
        status=1)
check("x.png" in r.stderr, r.stderr)
r = run("figure", "wheel", exp, "-o", png, status=2)
check("unknown kind 'wheel'" in r.stderr, r.stderr)
r = run("figure", "composite", exp, "--phase", "ramp:mauve", "-o", png, status=1)
check("unknown colour 'mauve'" in r.stderr, r.stderr)
finish("test_figure")
