"""test_unmix.py - whole-pattern phase maps (`tsct map --unmix`) against scipy's NNLS.

Three overlapping reference patterns (Gaussian peaks, written as .xy files) are mixed with
known non-negative weights into a 12 x 12 "reconstruction" (tsct import); `tsct map --unmix`
must return the weights exactly where the mixtures are noiseless (1e-5 relative: the patterns
are float32), and on noisy mixtures, where the constraint w >= 0 is active in many voxels,
the same weights as scipy.optimize.nnls on the same float32 data (1e-5 of the largest
weight), with a constant background column as the plan adds it. The residual map is the rms
of the NNLS residual. Bad sources and dependent components are refused.
"""
import os

import h5py
import numpy as np
from scipy.optimize import nnls

from cli_check import TMP, check, finish, run

W = os.path.join(TMP, "unmix")
os.makedirs(W, exist_ok=True)
q = np.linspace(0.5, 5.0, 400)


def peaks(centres, width):
    return sum(np.exp(-0.5 * ((q - c) / width) ** 2) for c in centres)


comps = np.array([peaks([1.0, 2.2, 3.1], 0.03), peaks([1.05, 2.6, 3.9], 0.05),
                  peaks([1.5, 2.25, 4.4], 0.2)])
for name, c in zip("abc", comps):
    np.savetxt(os.path.join(W, name + ".xy"), np.column_stack([q, c]), fmt="%.17g")

rng = np.random.default_rng(7)
ny = nx = 12
w_true = rng.uniform(0, 3, size=(ny, nx, 3))
w_true[rng.uniform(size=(ny, nx, 3)) < 0.3] = 0  # absent phases
clean = np.einsum("yxk,kq->yxq", w_true, comps) + 0.2  # plus a constant background
noisy = clean + rng.normal(0, 0.3, size=clean.shape)
for label, data in (("clean", clean), ("noisy", noisy)):
    src, exp = os.path.join(W, label + "_src.h5"), os.path.join(W, label + ".h5")
    for p in (src, exp):
        if os.path.exists(p):
            os.remove(p)
    with h5py.File(src, "w") as f:
        f["recon"] = data.astype(np.float32)
        f["q"] = q
    run("import", src + "::/recon", "-a", src + "::/q", "-o", exp)
    run("map", exp, *sum((["--unmix", "%s=xy:%s" % (n, os.path.join(W, n + ".xy"))]
                          for n in "abc"), []))
    with h5py.File(exp, "r") as f:
        got = np.stack([f["entry/maps/" + n][0, 0] for n in "abc"], axis=-1)
        res = f["entry/maps/unmix_residual"][0, 0]
    y32 = data.astype(np.float32).astype(np.float64)
    A = np.column_stack([comps.astype(np.float32).astype(np.float64).T, np.ones(len(q))])
    ref = np.zeros((ny, nx, 4))
    rms = np.zeros((ny, nx))
    for i in range(ny):
        for k in range(nx):
            ref[i, k], r = nnls(A, y32[i, k])
            rms[i, k] = r / np.sqrt(len(q))
    dev = np.abs(got - ref[..., :3]).max() / ref.max()
    print("%s: max |tsct - scipy nnls| = %.2e of the largest weight; %d active constraints"
          % (label, dev, (ref[..., :3] == 0).sum()))
    check(dev < 1e-5, "%s: weights agree with scipy.optimize.nnls (%.1e)" % (label, dev))
    check(np.abs(res - rms).max() < 1e-4 * rms.max() + 1e-6, label + ": residual map is the rms")
    if label == "clean":
        dev = np.abs(got - w_true).max() / w_true.max()
        check(dev < 1e-5, "noiseless mixtures recovered exactly (%.1e)" % dev)
    else:
        check((ref[..., :3] == 0).sum() > 20, "the constraint is active in many voxels")

exp = os.path.join(W, "clean.h5")
r = run("map", exp, "--unmix", "a=xyz:%s" % os.path.join(W, "a.xy"), status=1)
check("expected cif:FILE:SIZE_NM" in r.stderr, r.stderr)
r = run("map", exp, "--unmix", "a=xy:" + os.path.join(W, "a.xy"), "--unmix",
        "b=xy:" + os.path.join(W, "a.xy"), status=1)
check("column 1 is zero or a combination of the ones before it" in r.stderr, r.stderr)
r = run("map", exp, "--unmix", "a=cif:Bi_COD9008576.cif:8", status=1)
check("no wavelength for the calculated components" in r.stderr, r.stderr)
r = run("map", exp, "--unmix", "a=xy:" + os.path.join(W, "nothing.xy"), status=1)
check("nothing.xy" in r.stderr, r.stderr)
# File names are never cut short: a source in a deep folder (over 300 characters) is read
# whole, and one beyond the 1022-character limit is refused by name, not truncated.
deep = os.path.join(W, *(["a_rather_long_folder_name_%02d" % i for i in range(12)]))
os.makedirs(deep, exist_ok=True)
long_xy = os.path.join(deep, "b.xy")
np.savetxt(long_xy, np.column_stack([q, comps[1]]), fmt="%.17g")
check(len(long_xy) > 300, "the deep path is long (%d)" % len(long_xy))
run("map", exp, "--unmix", "a=xy:" + os.path.join(W, "a.xy"), "--unmix", "b=xy:" + long_xy)
with h5py.File(exp, "r") as f:
    check(long_xy in f["entry/maps/b"].attrs["method"].decode()
          if isinstance(f["entry/maps/b"].attrs["method"], bytes)
          else long_xy in f["entry/maps/b"].attrs["method"], "the method names the whole path")
r = run("map", exp, "--unmix", "a=xy:" + "/x" * 520, status=2)
check("too long" in r.stderr, r.stderr)
finish("test_unmix")
