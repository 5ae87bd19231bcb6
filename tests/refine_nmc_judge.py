"""refine_nmc_judge.py - the per-voxel refinement of an nmc experiment against its ground truth
(issue 16's judged check; used by scripts/refine-nmc-truth and tests/test_refine_nmc.py).

python3 refine_nmc_judge.py EXP.h5 NAME: /entry/refine/NAME/NMC111/{a,c}[_esd] against
/ground_truth/lattice over the voxels whose NMC111 fraction (the sum of its lattice bins) is
above 0.5; the reconstruction's grid is the truth's centred one (as tsct score maps it).
Prints the figures and returns them from judge().
"""
import sys

import h5py
import numpy as np


def robust_sd(x):
    return 1.4826 * np.median(np.abs(x - np.median(x)))


def judge(exp, name):
    with h5py.File(exp, "r") as f:
        g = f["entry/refine/" + name]
        a, ae, c, ce = (g["NMC111/" + k][...] for k in ("a", "a_esd", "c", "c_esd"))
        st = g["status"][...]
        F = f["ground_truth/phase_fraction"][...]
        phases = f["ground_truth/phase_fraction"].attrs["phases"].decode().split(",")
        lat = f["ground_truth/lattice"][...]
    nt, nz, ny, nx = a.shape
    n = F.shape[2]
    oy, ox = n // 2 - ny // 2, n // 2 - nx // 2
    bins = [i for i, p in enumerate(phases) if p.startswith("NMC111")]
    frac = F[..., bins].sum(-1)[:, :, oy:oy + ny, ox:ox + nx]
    lt = lat[:, :, oy:oy + ny, ox:ox + nx]
    sel = frac > 0.5
    r = {"voxels": int(sel.sum()), "refined": int(np.isfinite(a[sel]).sum()),
         "converged": int((st[sel] == 0).sum())}
    ok = sel & np.isfinite(a) & np.isfinite(c)
    for k, v, e, t in (("a", a, ae, lt[..., 0]), ("c", c, ce, lt[..., 2])):
        rel = (v[ok] - t[ok]) / t[ok]
        pull = (v[ok] - t[ok]) / e[ok]
        pull = pull[np.isfinite(pull)]
        r["median_rel_" + k] = float(np.median(np.abs(rel)))
        r["pull_sd_" + k] = float(np.std(pull)) if pull.size else float("nan")
        r["pull_robust_sd_" + k] = float(robust_sd(pull)) if pull.size else float("nan")
        r["off_1e-3_" + k] = int((np.abs(rel) > 1e-3).sum())
    print("judged voxels (NMC111 fraction > 0.5): %(voxels)d, refined %(refined)d, "
          "converged %(converged)d" % r)
    for k in ("a", "c"):
        print("%s: median |fit - true| / true %.2e (judged < 2e-4); pulls sd %.2f, robust sd "
              "(1.4826 MAD) %.2f (judged 0.7 .. 1.5); %d voxels off by > 1e-3" %
              (k, r["median_rel_" + k], r["pull_sd_" + k], r["pull_robust_sd_" + k],
               r["off_1e-3_" + k]))
    return r


if __name__ == "__main__":
    judge(sys.argv[1], sys.argv[2])
