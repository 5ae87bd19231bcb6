"""test_sim_preset_cylindrical.py - `tsct simulate --preset cylindrical`: a commercial
cylindrical cell (steel can, graphite | NMC111 jelly roll), cut down with --set.

Checked: the wound regions are all there; graphite turns into LiC6 in the anode only, with the
LiC6 fraction equal to the state of charge the electrochemistry gives (the anode is balanced
with the cathode); the NMC cell lengths of every cathode voxel follow the capacity as the
Vegard law of the preset says (a shrinks 1.4 %, c grows 1.6 % over 160 mAh/g) and the (003)
peak of its ground-truth pattern sits at 6 pi / c; fixed materials stay in their regions; the
scan is a snake (zigzag attribute, odd angle rows recorded backwards: noiseless data equal the
ground-truth sinograms x patterns x transmission only once those rows are flipped); the CSV
passes 160 mAh/g of the cathode's 2 g each half cycle, charge first, between 3.4 and 4.1 V.
"""
import os

import h5py
import numpy as np

from cli_check import TMP, check, finish, fresh_experiment, run

W = os.path.join(TMP, "cyl")
os.makedirs(W, exist_ok=True)
EXP = fresh_experiment(os.path.join(W, "cyl.h5"))
# 64 x 64 voxels (3 turns of the roll), 24 angles, 4 tomograms over the cycle, no noise.
run("simulate", "--preset", "cylindrical", "--set", "n=64", "--set", "ns=64", "--set", "na=24",
    "--set", "nt=4", "--set", "nq=600", "--set", "tube_wall=2", "--set", "counts=0",
    "--set", "monitor_noise=0", "-o", EXP)

with h5py.File(EXP, "r") as f:
    gt = f["ground_truth"]
    check(gt.attrs["preset"] == b"cylindrical", "preset recorded")
    phases = gt["phase_fraction"].attrs["phases"].decode().split(",")
    check(sorted(phases) == sorted(["air", "steel", "Cu", "Al", "separator", "graphite",
                                    "LiC6", "NMC111"]), "components %s" % phases)
    F, R = gt["phase_fraction"][...], gt["regions"][0].astype(int)
    lat, cell, P, q = gt["lattice"][...], gt["cell"][...], gt["patterns"][...], gt["q"][...]
    sino, data = gt["sinograms"][...], f["entry/integrated/data"][...]
    times = f["entry/scan/time"][...]
    zigzag = int(f["entry/scan"].attrs["zigzag"])
    check(gt["lattice"].attrs["phases"] == b"cathode:NMC111", "lattice phase attribute")
ph = {name: i for i, name in enumerate(phases)}
count = np.bincount(R.ravel(), minlength=11)
for reg, name in ((5, "casing"), (6, "cu"), (7, "al"), (8, "cathode"), (9, "anode"),
                  (10, "separator")):
    check(count[reg] > 20, "%s region: %d voxels" % (name, count[reg]))
anode, cathode = R == 9, R == 8

# Electrochemistry: charge first, 160 mAh/g x 2 g = 320 mAh per half cycle.
tsec, volt, cur, cap = np.loadtxt(EXP.replace(".h5", "_echem.csv"), delimiter=",",
                                  skiprows=2).T
check(abs(cap.max() - 320.0) < 0.5, "half-cycle capacity %.2f mAh" % cap.max())
chg = cur > 0
check(chg[0] and (cur[~chg] < 0).all() and (tsec[chg] < tsec[~chg].min()).all(),
      "charge, then discharge")
check(3.4 < volt.min() and volt.max() < 4.1, "full-cell voltage %.2f .. %.2f V"
      % (volt.min(), volt.max()))
check(volt[chg].max() > volt[~chg].max(), "charge above discharge (IR drop)")


def soc(t):
    """State of charge (0 .. 1) of the cathode at tomogram t from the CSV."""
    k = int(np.argmin(np.abs(tsec - times[t])))
    return cap[k] / 320.0 if cur[k] > 0 else 1.0 - cap[k] / 320.0


a0, c0 = 2.861, 14.231
bad_lic6 = bad_lat = 0
for t in range(F.shape[0]):
    u = soc(t)
    f = F[t, 0]
    li, gr = f[..., ph["LiC6"]], f[..., ph["graphite"]]
    bad_lic6 += not (np.allclose(li[anode], u, atol=1e-4) and np.allclose(gr[anode], 1 - u,
                                                                          atol=1e-4))
    bad_lic6 += li[~anode].any() or gr[~anode].any()
    a_exp, c_exp = a0 * (1 - 0.014 * u), c0 * (1 + 0.016 * u)
    L = lat[t, 0]
    bad_lat += not (np.allclose(L[cathode][:, 0], a_exp, rtol=1e-5) and
                    np.allclose(L[cathode][:, 2], c_exp, rtol=1e-5))
    bad_lat += bool(L[~cathode].any())
    bad_lat += not np.allclose(cell[t, ph["NMC111"]], [a_exp, a_exp, c_exp], rtol=1e-5)
    # The (003) reflection of the NMC pattern at q = 2 pi / (c / 3).
    pat = P[t, ph["NMC111"]]
    w = (q > 1.2) & (q < 1.45)
    i = np.where(w)[0][np.argmax(pat[w])]
    qpk = q[i] + 0.5 * (pat[i - 1] - pat[i + 1]) / (pat[i - 1] - 2 * pat[i] + pat[i + 1]) * (
        q[1] - q[0])
    bad_lat += abs(qpk - 6 * np.pi / c_exp) > 0.002
    print("t%d: state of charge %.3f, LiC6 %.3f, NMC a %.4f c %.4f A, (003) at %.4f 1/A"
          % (t, u, li[anode].mean(), L[cathode][0, 0], L[cathode][0, 2], qpk))
check(bad_lic6 == 0, "%d mismatches of graphite / LiC6 against the state of charge" % bad_lic6)
check(bad_lat == 0, "%d mismatches of the NMC lattice against the capacity" % bad_lat)
check(0 < soc(0) < soc(1) and soc(2) > soc(3), "the charge and discharge are sampled")
for name, reg in (("steel", 5), ("Cu", 6), ("Al", 7), ("separator", 10), ("NMC111", 8)):
    c = F[0, 0][..., ph[name]]
    check(np.all(c[R == reg] == 1) and not c[R != reg].any(), "%s only in its region" % name)

# Snake scan: with no noise the data are T x sum_c sino_c pattern_c, odd rows reversed.
check(zigzag == 1, "zigzag attribute")
expect = np.einsum("asc,cq->asq", sino[0, 0], P[0])
hit = expect.sum(-1) > 1e-3 * expect.sum(-1).max()       # rays through the cell
odd = slice(1, None, 2)
flipped = data[0, 0].copy()
flipped[odd] = flipped[odd, ::-1]
ratio_f = flipped.sum(-1)[hit] / expect.sum(-1)[hit]     # the transmission of each ray
check(np.all((ratio_f > 0.2) & (ratio_f <= 1.0 + 1e-5)), "transmissions %.3f .. %.3f"
      % (ratio_f.min(), ratio_f.max()))
ratio = data[0, 0].sum(-1)[hit] / expect.sum(-1)[hit]
err_f = np.abs(flipped[hit] - ratio_f[:, None] * expect[hit]).max() / expect.max()
err_raw = np.abs(data[0, 0][hit] - ratio[:, None] * expect[hit]).max() / expect.max()
print("snake rows: flipped misfit %.2g, unflipped %.2g of the largest pattern value"
      % (err_f, err_raw))
check(err_f < 1e-4, "flipped snake rows match the truth: %.2g" % err_f)
check(err_raw > 1e-2, "unflipped odd rows must not match: %.2g" % err_raw)
finish("test_sim_preset_cylindrical")
