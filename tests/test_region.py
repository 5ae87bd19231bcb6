"""test_region.py - `tsct region`: mean patterns of a region of voxels, per time step.

A random "reconstruction" [2 time steps][1][20][20][30] with a few NaN voxels is imported; the
mean pattern over a circle (centre offset, radius: tsct_maps_circle's rule, voxel centres
within the radius of (nx/2 + dx, ny/2 + dy)) and over a thresholded map must equal numpy's
mean over the same voxels, leaving out voxels whose pattern is not finite (1e-6 relative:
float32 storage). The .xy series and the mask are written; an empty region and bad options
are refused.
"""
import os

import h5py
import numpy as np

from cli_check import TMP, check, finish, run

W = os.path.join(TMP, "region")
os.makedirs(W, exist_ok=True)
src, exp = os.path.join(W, "src.h5"), os.path.join(W, "exp.h5")
for p in (src, exp):
    if os.path.exists(p):
        os.remove(p)
rng = np.random.default_rng(3)
nt, ny, nx, nq = 2, 20, 20, 30
data = rng.uniform(0, 10, size=(nt, 1, ny, nx, nq)).astype(np.float32)
data[0, 0, 9, 10, 4] = np.nan
data[1, 0, 12, 8, :] = np.nan
q = np.linspace(1, 4, nq)
with h5py.File(src, "w") as f:
    f["recon"] = data
    f["q"] = q
run("import", src + "::/recon", "-a", src + "::/q", "-o", exp)

dx, dy, r = 1.5, -2.0, 6.0
run("region", exp, "--name", "disc", "--circle", "%g,%g,%g" % (dx, dy, r), "-o", W)
yy, xx = np.mgrid[0:ny, 0:nx]
disc = (xx - (nx // 2 + dx)) ** 2 + (yy - (ny // 2 + dy)) ** 2 <= r * r
with h5py.File(exp, "r") as f:
    g = f["entry/regions/disc"]
    check(np.array_equal(g["mask"][0] > 0, disc), "mask is the disc (%d voxels)" % disc.sum())
    got = g["pattern"][...]
    check(got.shape == (nt, nq), "pattern [nt][nq]")
    check(np.allclose(g["q"][...], q), "q axis stored")
for t in range(nt):
    vox = data[t, 0][disc]
    vox = vox[np.isfinite(vox).all(axis=1)]
    want = vox.astype(np.float64).mean(axis=0)
    dev = np.abs(got[t] - want).max() / np.abs(want).max()
    check(dev < 1e-6, "t=%d: mean over %d voxels (%.1e)" % (t, len(vox), dev))
    xy = np.loadtxt(os.path.join(W, "disc_t%04d.xy" % t))
    check(np.allclose(xy[:, 1], got[t], rtol=1e-7) and np.allclose(xy[:, 0], q), "t=%d .xy" % t)

# A region from a map: voxels whose total intensity exceeds 0.5 x its 99.5th percentile.
run("map", exp, "--total", "total")
run("region", exp, "--name", "bright", "--mask-map", "total", "--threshold", "0.5")
with h5py.File(exp, "r") as f:
    tot = f["entry/maps/total"][0, 0]
    m = f["entry/regions/bright/mask"][0] > 0
    finite = tot[np.isfinite(tot)]
    thr = 0.5 * np.percentile(finite, 99.5)
    check(np.array_equal(m, np.nan_to_num(tot, nan=-1) > thr), "map threshold mask")

# A region from a mask image (npy, non-zero = inside).
img = np.zeros((ny, nx), np.uint8)
img[3:9, 12:17] = 1
npy = os.path.join(W, "mask.npy")
np.save(npy, img)
run("region", exp, "--name", "box", "--mask-file", npy)
with h5py.File(exp, "r") as f:
    check(np.array_equal(f["entry/regions/box/mask"][0] > 0, img > 0), "mask from an image")
    vox = data[0, 0][img > 0]
    vox = vox[np.isfinite(vox).all(axis=1)]
    check(np.allclose(f["entry/regions/box/pattern"][0], vox.mean(axis=0), rtol=1e-6),
          "mean over the image's voxels")
np.save(npy, np.ones((5, 5), np.uint8))
r = run("region", exp, "--name", "box", "--mask-file", npy, status=1)
check("the mask is 5 x 5, the reconstruction's slices 20 x 20" in r.stderr, r.stderr)

r = run("region", exp, "--name", "none", "--circle", "40,40,2", status=1)
check("the region is empty" in r.stderr, r.stderr)
r = run("region", exp, "--name", "x", status=2)
check("give one of --circle" in r.stderr, r.stderr)
r = run("region", exp, "--name", "x", "--mask-map", "nothing", status=1)
check("/entry/maps/nothing: no such map" in r.stderr, r.stderr)
r = run("region", exp, "--name", "bad/name", "--circle", "0,0,3", status=2)
check("--name expects" in r.stderr, r.stderr)
finish("test_region")
