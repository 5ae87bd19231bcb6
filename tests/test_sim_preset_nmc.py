"""test_sim_preset_nmc.py - `tsct simulate --preset nmc`: NMC111 cathode particles with
core-shell delithiation, cut down with --set, checked against the model of docs/simulate.md.

The ground truth's cell lengths of every particle voxel (/ground_truth/lattice) must be the
Vegard lattice at the voxel's core-shell reaction coordinate:
    x = x0 + (x1 - x0) clamp((w - d) / l + 1/2, 0, 1),  w = R (1 - (1 - p)^(1/3)),
    l = min(front, 2 w, 2 (R - w))
with d the depth below the particle's surface, R its radius, p how far the half cycle has gone
(from the electrochemistry), and c = c0 (1 + 0.016 x / 4). d comes once
from the spheres of /ground_truth/particle_table (exact, to float rounding) and once from
scipy's Euclidean distance transform of the particle labels (voxelised: within half a voxel),
as an analysis of a real map would get it. The profile runs from the surface inward: during
charge the outer shell has the larger c, during discharge the smaller; the lithium-rich core
shrinks as the charge goes on. The lattice bins ("NMC111#k") carry the fractions.
"""
import os

import h5py
import numpy as np
from scipy import ndimage

from cli_check import TMP, check, finish, fresh_experiment, run

W = os.path.join(TMP, "nmc")
os.makedirs(W, exist_ok=True)
EXP = fresh_experiment(os.path.join(W, "nmc.h5"))
# 11 slices of 56 x 56 um, particles of radius 5 um (no spread), a 2 um front, every particle
# at the cell's state of charge (no front lag), 4 tomograms over the 20 h cycle (a quarter and
# three quarters through the charge, then through the discharge); a token scan.
NZ, N, RADIUS, FRONT = 11, 56, 5.0, 2.0
run("simulate", "--preset", "nmc", "--set", "n=%d" % N, "--set", "ns=%d" % N, "--set", "na=8",
    "--set", "nq=300", "--set", "nt=4", "--set", "nz=%d" % NZ, "--set", "particle_sd=0",
    "--set", "particle_radius=%g" % RADIUS, "--set", "shell_front=%g" % FRONT,
    "--set", "front_delay=0", "-o", EXP)

with h5py.File(EXP, "r") as f:
    gt = f["ground_truth"]
    phases = gt["phase_fraction"].attrs["phases"].decode().split(",")
    F, part = gt["phase_fraction"][...], gt["particles"][...].astype(int)
    lat, prog, table = gt["lattice"][...], gt["progress"][...], gt["particle_table"][...]
    times = f["entry/scan/time"][...]
    check(gt["lattice"].attrs["phases"] == b"particle:NMC111", "lattice phase attribute")
bins = [i for i, p in enumerate(phases) if p.startswith("NMC111#")]
check([phases[i] for i in bins] == ["NMC111#%d" % k for k in range(8)], "8 lattice bins")
inside = part >= 0
check(inside.sum() > 500, "particle voxels: %d" % inside.sum())
nmc = F[..., bins].sum(-1)
check(np.allclose(nmc[:, inside], 1, atol=1e-5) and not nmc[:, ~inside].any(),
      "NMC fraction 1 in the particles (shared among bins), 0 elsewhere")

# p of every tomogram from the electrochemistry: 160 mAh/g x 5 mg = 0.8 mAh per half cycle.
tsec, volt, cur, cap = np.loadtxt(EXP.replace(".h5", "_echem.csv"), delimiter=",",
                                  skiprows=2).T
check(abs(cap.max() - 0.8) < 1e-3, "half-cycle capacity %.4f mAh" % cap.max())
check(cur[0] > 0 and 3.7 < volt[cur > 0].min() and volt.max() < 4.1,
      "charge first, %.2f .. %.2f V" % (volt.min(), volt.max()))


def model_c(t, d):
    """c (A) at depth d below the surface at tomogram t, the preset's core-shell model."""
    k = int(np.argmin(np.abs(tsec - times[t])))
    charging = cur[k] > 0
    p = cap[k] / 0.8
    x0, x1 = (0.0, 4.0) if charging else (4.0, 0.0)
    w = RADIUS * (1 - (1 - p) ** (1 / 3))
    lw = np.minimum(FRONT, np.minimum(2 * w, 2 * (RADIUS - w)))
    x = x0 + (x1 - x0) * np.clip((w - d) / lw + 0.5, 0, 1)
    return 14.231 * (1 + 0.016 * x / 4), charging


# Depth below the surface: exact from the spheres, and from the label map (3D distance
# transform; the stack padded with background so the ends do not count as inside).
zz, yy, xx = np.meshgrid(np.arange(NZ) + 0.5, np.arange(N) + 0.5, np.arange(N) + 0.5,
                         indexing="ij")
j = part[inside]
exact = table[j, 3] - np.sqrt((xx[inside] - table[j, 0]) ** 2 + (yy[inside] - table[j, 1]) ** 2
                              + (zz[inside] - table[j, 2]) ** 2)
edt = ndimage.distance_transform_edt(np.pad(inside, ((1, 1), (0, 0), (0, 0))))[1:-1]
# A voxel centre at EDT distance e lies about e - 1/2 below the surface; only the middle
# slices, where no particle reaches past the stack.
mid = np.zeros_like(inside)
mid[NZ // 2 - 1:NZ // 2 + 2] = True
sel = mid[inside]
edt_depth = edt[inside] - 0.5
print("EDT depth - exact depth (middle slices): mean %.3f, rms %.3f voxels"
      % ((edt_depth - exact)[sel].mean(), np.sqrt(((edt_depth - exact)[sel] ** 2).mean())))

span = []
for t in range(lat.shape[0]):
    c = lat[t][inside][:, 2]
    expect, charging = model_c(t, exact)
    err_exact = np.abs(c - expect).max()
    check(err_exact < 2e-4, "t%d: c against the model at the exact depth: %.2g A" % (t, err_exact))
    # With the voxelised depth (+-0.27 voxel) on a front at most 2 voxels wide that moves c by
    # 0.23 A, a voxel on the front may be off by 0.05 A; on average they agree to 0.03 A, and
    # so do the mean profiles by EDT shell (one voxel thick, middle slices): 13 % of the range.
    approx, _ = model_c(t, edt_depth[sel])
    err_edt = np.abs(c[sel] - approx).mean()
    e = edt[inside][sel]
    shells = [(e >= k) & (e < k + 1) for k in (1, 2, 3)]
    shell = [c[sel][m].mean() for m in shells]
    err_shell = max(abs(c[sel][m].mean() - approx[m].mean()) for m in shells)
    check(err_edt < 0.03 and err_shell < 0.03, "t%d: c against the model at the EDT depth: "
          "mean misfit %.3g A, by shell %.3g A" % (t, err_edt, err_shell))
    span.append(shell[0] - shell[2])
    a_ok = np.allclose(lat[t][inside][:, 0], 2.861 * (1 - 0.014 * prog[t][inside] / 4),
                       rtol=1e-5)
    check(a_ok, "t%d: a follows the same reaction coordinate" % t)
    print("t%d (%s): c by EDT shell 1/2/3 = %.4f %.4f %.4f A; misfit exact %.1g, EDT %.3f A "
          "(by shell %.3f)" % (t, "charge" if charging else "discharge", *shell, err_exact,
                               err_edt, err_shell))
# Charging (t0, t1): the surface shell first; discharging (t2, t3): lithium back in from the
# surface, so the outer shell has the smaller c.
check(span[0] > 0.01 and span[1] > 0.01, "charge: c falls with depth (%.3f, %.3f A)"
      % (span[0], span[1]))
check(span[2] < -0.01 and span[3] < -0.01, "discharge: c rises with depth (%.3f, %.3f A)"
      % (span[2], span[3]))
core0 = (prog[0][inside] < 2).mean()
core1 = (prog[1][inside] < 2).mean()
check(core0 > core1 > 0, "the lithium-rich core shrinks: %.2f -> %.2f of the volume"
      % (core0, core1))
# The rendered fractions are the bins around each voxel's own coordinate.
k = prog[1][inside] / 4 * 7
lo = np.minimum(np.floor(k).astype(int), 6)
w = F[1][inside][:, bins]
check(np.allclose(w[np.arange(lo.size), lo], 1 - (k - lo), atol=1e-5),
      "bin weights linear in the reaction coordinate")
finish("test_sim_preset_nmc")
