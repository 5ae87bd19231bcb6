"""test_unmix.py - whole-pattern phase maps (`tsct map --unmix`) against scipy's NNLS.

Three overlapping reference patterns (Gaussian peaks, written as .xy files) are mixed with
known non-negative weights into a 12 x 12 "reconstruction" (tsct import); `tsct map --unmix`
must return the weights exactly where the mixtures are noiseless (1e-5 relative: the patterns
are float32), and on noisy mixtures, where the constraint w >= 0 is active in many voxels,
the same weights as scipy.optimize.nnls on the same float32 data (1e-5 of the largest
weight), with a constant background column as the plan adds it. The residual map is the rms
of the NNLS residual. Bad sources and dependent components are refused.

Variants: LiBi with its lattice swollen by 0.5 % (the CIF's cell edited, the pattern made by
`tsct pattern`, a code path of its own) is fitted by LiBi and Li3Bi components. The fixed
LiBi pattern misfits and hands part of the intensity to Li3Bi; with strain=1 the LiBi group
follows the shift: the residual falls tenfold, LiBi's weight is proportional to the true one,
Li3Bi stays near zero. Bad variant options are refused by name.
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

# ---- variants: a strained LiBi ----
STRAIN = 1.005  # between two variants of the grid (its worst case is midway)
src_cif = os.path.join(os.environ["TSCT_SRC"], "data", "structures", "LiBi.cif")
strained = os.path.join(W, "LiBi_strained.cif")
with open(src_cif) as f, open(strained, "w") as g:
    for line in f:
        key = line.split()[0] if line.split() else ""
        if key in ("_cell_length_a", "_cell_length_b", "_cell_length_c"):
            line = "%s %.6f\n" % (key, float(line.split()[1]) * STRAIN)
        g.write(line)
WL = 12.398419843320026 / 87.0
ref_xy = os.path.join(W, "LiBi_strained.xy")
run("pattern", strained, "--wavelength", "%.10f" % WL, "--qmax", "4.7", "--size", "20",
    "-o", ref_xy)
ref = np.loadtxt(ref_xy)
qs = np.linspace(0.8, 4.5, 600)
pat = np.interp(qs, ref[:, 0], ref[:, 1])
wl = rng.uniform(0.2, 1.0, size=(4, 4))
data = wl[..., None] * pat / pat.max() + 0.05
src, exp = os.path.join(W, "strain_src.h5"), os.path.join(W, "strain.h5")
for p in (src, exp):
    if os.path.exists(p):
        os.remove(p)
with h5py.File(src, "w") as f:
    f["recon"] = data[None, None].astype(np.float32)
    f["q"] = qs
run("import", src + "::/recon", "-a", src + "::/q", "-o", exp)
result = {}
for label, opt in (("fixed", ""), ("variants", ":strain=1")):
    run("map", exp, "--wavelength", "%.10f" % WL, "--unmix", "LiBi=cif:LiBi.cif:20" + opt,
        "--unmix", "Li3Bi=cif:Li3Bi.cif:20")
    with h5py.File(exp, "r") as f:
        result[label] = (f["entry/maps/LiBi"][0, 0], f["entry/maps/Li3Bi"][0, 0],
                         f["entry/maps/unmix_residual"][0, 0].mean(),
                         f["entry/maps/LiBi"].attrs["method"])
for label, (w1, w3, res, method) in result.items():
    ratio = w1 / wl
    print("%s: residual %.3g; LiBi / true weight %.4g +- %.2g; Li3Bi / LiBi %.3f" %
          (label, res, ratio.mean(), ratio.std() / ratio.mean(), (w3 / w1).mean()))
w1, w3, res, method = result["variants"]
method = method.decode() if isinstance(method, bytes) else method
check("as 11 variants (lattice scale 0.99..1.01 in 11 steps)" in method, method)
check(res < 0.1 * result["fixed"][2], "variants: residual %.3g < a tenth of %.3g"
      % (res, result["fixed"][2]))
check((w1 / wl).std() < 0.01 * (w1 / wl).mean(), "variants: LiBi proportional to the truth")
check((w3 / w1).max() < 0.01, "variants: Li3Bi below 1 %% of LiBi (%.4f)" % (w3 / w1).max())
# The components are per unit volume: a cell's pattern over the cell volume squared, so the
# true weight of the swollen LiBi is its mixing weight x (V 1.005^3)^2 / max.
vol = 3.36 * 3.36 * 4.25 * STRAIN ** 3
expect = (w1 / wl).mean() / (vol ** 2 / pat.max())
check(abs(expect - 1) < 0.02, "variants: LiBi weight %.4f of the true one" % expect)
fixed = (result["fixed"][0] / wl).mean() / (vol ** 2 / pat.max())
check(fixed < 0.9, "fixed pattern: LiBi read %.3f of its weight (the variants matter here)"
      % fixed)
for bad, needle in (("cif:LiBi.cif:20:strain=x", "strain=PCT or strain=LO,HI"),
                    ("cif:LiBi.cif:20:strain=2,1", "LO < HI"),
                    ("cif:LiBi.cif:20:grow=1", "grow=F expects"),
                    ("cif:LiBi.cif:20:shrink=2", "unknown option 'shrink=2'"),
                    ("nano:LiBi.cif:0.5:strain=1", "options (strain=, grow=) are for cif"),
                    ("cif:LiBi.cif:20:strain=40", "narrow it")):
    r = run("map", exp, "--wavelength", "1", "--unmix", "a=" + bad, status=1)
    check(needle in r.stderr, "%s: %s" % (bad, r.stderr))
finish("test_unmix")
