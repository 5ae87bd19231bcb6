"""test_sim_preset_si.py - `tsct simulate --preset si`: amorphous Si lithiating to amorphous
LixSi in a TSCT cell, cut down with --set, checked on the physics its PDFs must show.

The ground truth's component patterns and voxel patterns go through `tsct pdf` (PDFgetX3
style, composition Si): the a-Si cluster's first peak is the Si-Si bond, 2.35 A times its
lattice scale (2.35 A at the start, toward 2.5 A as lithium stretches the network), the
Li15Si4-type cluster's the Si-Li correlation near 2.8 A; in the particles' mean pattern the
difference PDF against the first tomogram loses the 2.35 A bond and gains Si-Li near 2.8 A.
The phase fractions follow the capacity of the electrochemistry (a-Si = 1 - capacity / 3579
mAh/g) and the voltages sit on the Si plateaus.
"""
import os

import h5py
import numpy as np

from cli_check import TMP, check, finish, fresh_experiment, run

W = os.path.join(TMP, "si")
os.makedirs(W, exist_ok=True)
EXP = fresh_experiment(os.path.join(W, "si.h5"))
# One 20 h cycle as 12 tomograms, no reaction-front lag (every particle at the cell's state of
# charge), the full q range (0.5 .. 20 1/A, 2000 channels); a small scan without counting
# noise (the checks read the ground truth).
run("simulate", "--preset", "si", "--set", "n=32", "--set", "ns=32", "--set", "na=12",
    "--set", "nz=1", "--set", "nt=12", "--set", "ncycles=1", "--set", "front_delay=0",
    "--set", "counts=0", "-o", EXP)

CFG = os.path.join(W, "pdf.cfg")
with open(CFG, "w") as f:
    f.write("[DEFAULT]\ndataformat = QA\ncomposition = Si\nqmin = 1.0\nqmax = 19.5\n"
            "qmaxinst = 19.5\nrmin = 0.0\nrmax = 8.0\nrstep = 0.01\nrpoly = 0.9\n"
            "outputtype = gr\n")


def pdf(q, intensity, name):
    """G(r) of a pattern; the Lorch window damps the termination ripples of the sharp Si-Si
    peak, which would otherwise dominate a difference PDF near 2.6 and 2.95 A."""
    xy, gr = os.path.join(W, name + ".xy"), os.path.join(W, name + ".gr")
    np.savetxt(xy, np.c_[q, intensity], fmt="%.9g")
    run("pdf", "-c", CFG, "--lorch", "--force", "-o", gr, xy)
    with open(gr) as f:
        text = f.read().split("#### start data", 1)[1]
    a = np.array([[float(v) for v in line.split()] for line in text.splitlines()
                  if line and line[0] not in "#"])
    return a[:, 0], a[:, 1]


def peaks(r, g, lo=1.8, hi=5.0, frac=0.2):
    """Local maxima of g in (lo, hi) above frac of its largest value there, parabola-refined."""
    m = (r > lo) & (r < hi)
    top = g[m].max()
    out = []
    for i in np.where(m)[0]:
        if g[i] > g[i - 1] and g[i] >= g[i + 1] and g[i] > frac * top:
            den = g[i - 1] - 2 * g[i] + g[i + 1]
            out.append(r[i] + 0.5 * (g[i - 1] - g[i + 1]) / den * (r[1] - r[0]))
    return out


with h5py.File(EXP, "r") as f:
    gt = f["ground_truth"]
    check(gt.attrs["preset"] == b"si", "preset recorded")
    phases = gt["phase_fraction"].attrs["phases"].decode().split(",")
    check(phases == ["air", "quartz", "carbon", "aSi", "LixSi"], "components %s" % phases)
    q = gt["q"][...]
    P, L, F = gt["patterns"][...], gt["lattice_scale"][...], gt["phase_fraction"][...]
    part = gt["particles"][...]
    times = f["entry/scan/time"][...]
    d = f["entry/integrated/data"]
    check(d.shape == (12, 1, 12, 32, 2000) and np.isfinite(d[0]).all(),
          "integrated %s" % (d.shape,))
    check(abs(q[0] - 0.5) < 1e-12 and abs(q[-1] - 20.0) < 1e-12, "q 0.5 .. 20 1/A")
ia, il = phases.index("aSi"), phases.index("LixSi")
t_max = int(np.argmax(L[:, ia]))    # the most lithiated tomogram (a-Si nearly used up)

# Components: the a-Si bond follows its lattice scale, the LixSi cluster shows Si-Li.
for t in (0, t_max):
    r, g = pdf(q, P[t, ia], "aSi_t%d" % t)
    first = peaks(r, g)[0]
    check(abs(first - 2.35 * L[t, ia]) < 0.03,
          "a-Si Si-Si peak at t%d: %.3f A, expected 2.35 x %.4f" % (t, first, L[t, ia]))
    check(t > 0 or abs(first - 2.35) < 0.04, "a-Si bond at the start: %.3f A" % first)
    print("a-Si first peak t%d: %.3f A (lattice %.4f)" % (t, first, L[t, ia]))
check(2.35 * L[t_max, ia] > 2.48, "Si-Si stretched toward 2.5 A: scale %.4f" % L[t_max, ia])
r, g = pdf(q, P[0, il], "LixSi")
pk = peaks(r, g)
check(2.7 < pk[0] < 2.95, "LixSi first peak (Si-Li) %.3f A" % pk[0])
check(not any(2.2 < x < 2.5 for x in pk), "LixSi has no Si-Si bond: peaks %s" % pk)
print("LixSi peaks", np.round(pk, 3))

# The particles' mean voxel pattern (ground truth: fractions x component patterns).
mean = []
for t in range(12):
    fr = F[t, 0][part[0] >= 0]
    fr = fr[fr.sum(-1) > 0]                     # lost particles hold nothing
    mean.append(fr.mean(0) @ P[t])
G = {}
for t in (0, 3, t_max):
    r, G[t] = pdf(q, mean[t], "mean_t%d" % t)
first0 = peaks(r, G[0])[0]
first3 = peaks(r, G[3])[0]
check(abs(first0 - 2.35) < 0.04, "first voxel peak at the start %.3f A" % first0)
check(2.39 < first3 < 2.52 and first3 > first0 + 0.03,
      "Si-Si peak moves up with lithiation: %.3f -> %.3f A" % (first0, first3))
sili = [x for x in peaks(r, G[t_max]) if 2.7 < x < 2.95]
check(len(sili) == 1 and not any(2.6 < x < 3.0 for x in peaks(r, G[0])),
      "Si-Li peak near 2.8 A appears: %s, absent at the start: %s"
      % (sili, peaks(r, G[0])))
dpdf = G[t_max] - G[0]
m = (r > 2.0) & (r < 3.3)
rmin, rmax = r[m][np.argmin(dpdf[m])], r[m][np.argmax(dpdf[m])]
check(2.25 < rmin < 2.45, "dPDF loses the Si-Si bond: minimum at %.2f A" % rmin)
check(2.6 < rmax < 3.0, "dPDF gains Si-Li: maximum at %.2f A" % rmax)
print("voxel mean: first peak %.3f -> %.3f A; Si-Li %s A; dPDF min %.2f, max %.2f A"
      % (first0, first3, np.round(sili, 3), rmin, rmax))

# Electrochemistry: 3579 mAh/g (Li15Si4) per half cycle of 1 mg; the fractions follow it.
rows = np.loadtxt(EXP.replace(".h5", "_echem.csv"), delimiter=",", skiprows=2)
tsec, volt, cur, cap = rows.T
check(abs(cap.max() - 3.579) < 0.01, "capacity of a half cycle %.4f mAh" % cap.max())
dis, chg = cur < 0, cur > 0
check(dis.any() and chg.any() and (tsec[dis] < tsec[chg].min()).all(), "discharge first")
check(0.18 < volt[dis].min() and volt[dis].max() < 0.33, "discharge plateaus %.3f .. %.3f V"
      % (volt[dis].min(), volt[dis].max()))
check(0.44 < volt[chg].min() and volt[chg].max() < 0.54, "charge plateaus %.3f .. %.3f V"
      % (volt[chg].min(), volt[chg].max()))
bad = 0
for t in range(12):
    k = int(np.argmin(np.abs(tsec - times[t])))
    spec = cap[k] / 1e-3 if cur[k] < 0 else 3579.0 - cap[k] / 1e-3   # mAh/g of the chain
    fr = F[t, 0][part[0] >= 0]
    fr = fr[fr.sum(-1) > 0]
    bad += not np.allclose(fr[:, ia], 1 - spec / 3578.6, atol=2e-3)
check(bad == 0, "%d tomograms whose a-Si fraction is not 1 - capacity / 3579 mAh/g" % bad)
finish("test_sim_preset_si")
